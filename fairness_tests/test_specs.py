"""The gate. This file holds no tests of its own: fairgate's pytest plugin collects it as the
spec files (`specs/*.toml`, or `--fairgate-specs` / FAIRGATE_SPECS), one test per
(spec, variant, check, subgroup). Run `pytest fairness_tests/` or `make gate`."""
