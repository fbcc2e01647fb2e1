"""Print, as JSON, what a process inside a lab container may do."""

import errno
import json
import os


def can_write(path):
    try:
        with open(path, "w") as probe:
            probe.write("x")
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error.errno))
    os.unlink(path)
    return "written"


def status_field(name):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return None


def read_first(*paths):
    for path in paths:
        try:
            with open(path) as value:
                return value.read().strip()
        except OSError:
            continue
    return None


print(
    json.dumps(
        {
            "uid": os.getuid(),
            "gid": os.getgid(),
            "capabilities": status_field("CapEff"),
            "no_new_privileges": status_field("NoNewPrivs"),
            "root_filesystem": can_write("/probe"),
            "volume": can_write("/data/probe"),
            "tmp": can_write("/tmp/probe"),
            "memory_limit": read_first(
                "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"
            ),
            "pids_limit": read_first("/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/pids/pids.max"),
            "network_interfaces": sorted(os.listdir("/sys/class/net")),
        }
    )
)
