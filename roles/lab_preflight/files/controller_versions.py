"""Print, as JSON, the versions of the Python packages that the lab needs on the controller."""

import json
import platform
import sys

try:
    from importlib.metadata import PackageNotFoundError, version
except ImportError:  # Python 3.7
    print(json.dumps({"python": platform.python_version()}))
    sys.exit(0)

versions = {"python": platform.python_version()}
for package in ("docker", "requests", "urllib3", "PyYAML"):
    try:
        versions[package] = version(package)
    except PackageNotFoundError:
        versions[package] = None
print(json.dumps(versions))
