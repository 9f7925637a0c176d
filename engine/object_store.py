"""Results kept in object storage (s3://, gs://, az://) through fsspec, for the jobs of a CI
matrix that run on machines sharing no file system.

An object store replaces an object in one PUT: a reader gets the whole old value or the
whole new one, never a part, which is what the local store gets from renaming a temporary
file. Only protocols whose writes are atomic that way are accepted. The endpoint and the
credentials come from the environment, read by the protocol's own library (for S3:
AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_PROFILE, ...), never from a spec.
"""

from __future__ import annotations

ATOMIC_PROTOCOLS = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss")
PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs"}
# Written and read back when the store is opened: a wrong endpoint, bucket or credential
# stops the run before a model loads, not at its first result minutes later.
PROBE = ".fairgate-store"
STORE_HELP = (
    "where results are stored: a directory, or an object store URL such as s3://bucket/prefix "
    "for jobs on machines that share no file system (default: the cache's results/)"
)


class StoreLocationInvalid(ValueError):
    """A store URL fairgate cannot write safely (a usage error: nothing was run)."""


class StoreUnavailable(RuntimeError):
    """The store's library is missing, or the store cannot be reached, read or written."""


def is_url(location: object) -> bool:
    return "://" in str(location)


class ObjectFiles:
    """Bytes under relative paths in the object store at `url`."""

    def __init__(self, url: str) -> None:
        import fsspec

        protocol = url.split("://", 1)[0]
        if protocol not in ATOMIC_PROTOCOLS:
            raise StoreLocationInvalid(
                f"results store {url}: protocol {protocol!r} is not one whose writes replace a "
                f"file whole; expected a directory or a URL of {', '.join(ATOMIC_PROTOCOLS)}"
            )
        self.url = url.rstrip("/")
        try:
            self.fs, self.path = fsspec.core.url_to_fs(self.url)
        except ImportError as e:
            package = PACKAGES.get(protocol, protocol)
            raise StoreUnavailable(f"results store {url}: {e}; install it with `pip install {package}`") from e
        self.write(PROBE, b'{"written_by": "fairgate"}\n')
        self.read(PROBE)

    def read(self, relative: str) -> bytes | None:
        """The object's bytes; None when there is no such object."""
        try:
            return self.fs.cat_file(f"{self.path}/{relative}")
        except FileNotFoundError:
            return None
        except Exception as e:  # whatever the protocol's client raises: network, credentials
            raise StoreUnavailable(f"results store {self.url}: reading {relative} failed: {e!r}") from e

    def write(self, relative: str, data: bytes) -> None:
        try:
            self.fs.pipe_file(f"{self.path}/{relative}", data)
        except Exception as e:
            raise StoreUnavailable(f"results store {self.url}: writing {relative} failed: {e!r}") from e
