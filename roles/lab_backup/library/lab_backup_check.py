#!/usr/bin/python
"""Ansible module: check that a .tar.gz file is a lab backup that restore.yml can extract."""

DOCUMENTATION = r"""
module: lab_backup_check
short_description: Check that a .tar.gz file is a lab backup that is safe to restore
description:
  - Reads the archive on the managed host without extracting it, and fails unless it is a gzip
    compressed tar archive whose entries are the folder C(data), and files, folders and links
    below C(data/) with links that point inside C(data/). Absolute paths, paths with C(..),
    device files, FIFOs and entries that appear twice are rejected.
  - C(data/demo.db) must be a regular file that starts with the SQLite 3 header
    C(SQLite format 3\0).
  - Needs no Docker engine, so a play can run it before it creates the volume.
    M(lab_volume_archive) repeats the check when it imports the archive.
options:
  path:
    description: Archive file on the managed host.
    type: path
    required: true
  language:
    description: Language of the failure message.
    type: str
    choices: [en, pt_BR]
    default: en
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

RETURN = r"""
path:
  description: The archive file.
  type: str
  returned: always
files:
  description: Number of files, folders and links in the archive.
  type: int
  returned: success
problem:
  description:
    - Why the archive was rejected, one of V(not_found), V(not_a_file), V(unreadable),
      V(not_tar_gz), V(empty), V(unsafe_entries), V(database_missing), V(database_not_file),
      V(database_not_sqlite).
  type: str
  returned: failure
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lab_backup_archive import ArchiveProblem, check_backup


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "language": {"type": "str", "choices": ["en", "pt_BR"], "default": "en"},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    result = {"changed": False, "path": path}

    try:
        result["files"] = check_backup(path)
    except ArchiveProblem as problem:
        message = problem.message(path, module.params["language"])
        module.fail_json(msg=message, problem=problem.key, **result)

    module.exit_json(**result)


if __name__ == "__main__":
    main()
