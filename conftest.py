"""Registers fairgate's pytest plugin where no installed fairgate did (a checkout run without
`make setup`, or with PYTEST_DISABLE_PLUGIN_AUTOLOAD). An installed fairgate registers it
through its pytest11 entry point, and pytest refuses a plugin registered twice."""

import engine.pytest_plugin as plugin


def pytest_addoption(parser, pluginmanager):
    if not pluginmanager.is_registered(plugin) and not pluginmanager.is_blocked("fairgate"):
        pluginmanager.register(plugin, "fairgate")
