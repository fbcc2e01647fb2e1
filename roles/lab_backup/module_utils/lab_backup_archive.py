"""Check a lab backup (.tar.gz) and rewrite it for the lab's user, for the lab_backup modules.

A lab backup contains the folder data/ of a volume, as the engine's archive API copies it, with the
SQLite database data/demo.db. The functions here use the standard library only, so the unit tests
import this file directly.
"""

import os
import posixpath
import stat
import tarfile
import time

# Top folder of a backup: the engine names it after the path it copies (/data).
ARCHIVE_TOP = "data"

# The database that the lab's writer and reader open, and the first 16 bytes of every SQLite 3
# database file (https://www.sqlite.org/fileformat.html, section 1.3).
DATABASE_MEMBER = "data/demo.db"
SQLITE_HEADER = b"SQLite format 3\x00"

# Number of entry names that a message lists before it stops.
LISTED_ENTRIES = 5

# Permission bits that restored entries may keep: no setuid, setgid or sticky bit, and no write
# permission for the group or others. The owner always gets read and write (and search, on
# folders), so that the writer can update the database and create its journal.
KEPT_MODE_BITS = 0o755
FILE_OWNER_BITS = 0o600
FOLDER_OWNER_BITS = 0o700

MESSAGES = {
    "en": {
        "not_found": "Backup archive {path} not found. {fix}",
        "not_a_file": "Backup archive {path} is not a file. {fix}",
        "unreadable": "Backup archive {path} could not be read ({error}). {fix}",
        "not_tar_gz": "Backup archive {path} is not a .tar.gz archive ({error}). {fix}",
        "empty": "Backup archive {path} contains no entries, so it would restore nothing. {fix}",
        "unsafe_entries": (
            "Backup archive {path} contains entries that restore.yml does not extract: "
            "{entries}. {fix}"
        ),
        "database_missing": (
            "Backup archive {path} has no data/demo.db, the lab's database (entries found: "
            "{entries}). {fix}"
        ),
        "database_not_file": (
            "In backup archive {path}, data/demo.db is a {kind}, not a regular file. {fix}"
        ),
        "database_not_sqlite": (
            "In backup archive {path}, data/demo.db is not a SQLite database: it does not start "
            "with the header 'SQLite format 3'. {fix}"
        ),
        "fix_backup": (
            "restore.yml would reject this backup, so the volume was not removed. Remove those "
            "files from the volume and run cleanup.yml again, or set lab_teardown_backup=false to "
            "remove the volume without a backup. The archive stays at {path} for extraction by "
            "hand."
        ),
        "fix": (
            "Nothing was restored. Pass a backup that cleanup.yml wrote "
            "(<volume>-<UTC time>.tar.gz in lab_backup_dir). An archive made by hand must contain "
            "only the folder data/ with the database data/demo.db, and files, folders and links "
            "inside data/, as tar -czf FILE -C PARENT data writes it."
        ),
        "absolute": "absolute path",
        "parent": "path with ..",
        "outside": "not under data/",
        "top_not_folder": "data is not a folder",
        "link_outside": "link to {target}, outside data/",
        "type": "{kind}, not a file, folder or link",
        "duplicate": "entry appears more than once",
        "none": "none",
        "kinds": {
            "dir": "folder",
            "sym": "symbolic link",
            "lnk": "hard link",
            "chr": "character device",
            "blk": "block device",
            "fifo": "FIFO",
            "other": "special entry",
        },
    },
    "pt_BR": {
        "not_found": "Arquivo de backup {path} não encontrado. {fix}",
        "not_a_file": "O arquivo de backup {path} não é um arquivo comum. {fix}",
        "unreadable": "O arquivo de backup {path} não pôde ser lido ({error}). {fix}",
        "not_tar_gz": "O arquivo de backup {path} não é um arquivo .tar.gz ({error}). {fix}",
        "empty": (
            "O arquivo de backup {path} não contém nenhuma entrada, então não restauraria nada. "
            "{fix}"
        ),
        "unsafe_entries": (
            "O arquivo de backup {path} contém entradas que o restore.yml não extrai: "
            "{entries}. {fix}"
        ),
        "database_missing": (
            "O arquivo de backup {path} não tem data/demo.db, o banco de dados do laboratório "
            "(entradas encontradas: {entries}). {fix}"
        ),
        "database_not_file": (
            "No arquivo de backup {path}, data/demo.db é um(a) {kind}, não um arquivo comum. {fix}"
        ),
        "database_not_sqlite": (
            "No arquivo de backup {path}, data/demo.db não é um banco de dados SQLite: ele não "
            "começa com o cabeçalho 'SQLite format 3'. {fix}"
        ),
        "fix_backup": (
            "O restore.yml rejeitaria este backup, então o volume não foi removido. Remova esses "
            "arquivos do volume e execute o cleanup.yml de novo, ou defina "
            "lab_teardown_backup=false para remover o volume sem backup. O arquivo fica em {path} "
            "para ser extraído à mão."
        ),
        "fix": (
            "Nada foi restaurado. Informe um backup gravado pelo cleanup.yml "
            "(<volume>-<data e hora UTC>.tar.gz em lab_backup_dir). Um arquivo feito à mão deve "
            "conter só a pasta data/ com o banco de dados data/demo.db, e arquivos, pastas e "
            "links dentro de data/, como o tar -czf ARQUIVO -C PASTA_PAI data o grava."
        ),
        "absolute": "caminho absoluto",
        "parent": "caminho com ..",
        "outside": "fora de data/",
        "top_not_folder": "data não é uma pasta",
        "link_outside": "link para {target}, fora de data/",
        "type": "{kind}, não é arquivo, pasta nem link",
        "duplicate": "entrada repetida",
        "none": "nenhuma",
        "kinds": {
            "dir": "pasta",
            "sym": "link simbólico",
            "lnk": "link físico",
            "chr": "dispositivo de caractere",
            "blk": "dispositivo de bloco",
            "fifo": "FIFO",
            "other": "entrada especial",
        },
    },
}


class ArchiveProblem(Exception):
    """A reason why a file cannot be restored, as a message key and the values of its message."""

    def __init__(self, key, **values):
        super().__init__(key)
        self.key = key
        self.values = values

    def message(self, path, language="en", fix_key="fix"):
        """Return the message of this problem for the archive at path, in language.

        fix_key selects the closing advice: "fix" for a restore, "fix_backup" for a fresh backup.
        """
        texts = MESSAGES.get(language, MESSAGES["en"])
        values = dict(self.values)
        if "entries" in values:
            values["entries"] = describe_entries(values["entries"], texts)
        if "kind" in values:
            values["kind"] = texts["kinds"][values["kind"]]
        return texts[self.key].format(path=path, fix=texts[fix_key].format(path=path), **values)


def describe_entries(entries, texts):
    """Join (name, reason, values) triples, or bare names, into one line of text."""
    if not entries:
        return texts["none"]
    parts = []
    for entry in entries[:LISTED_ENTRIES]:
        if isinstance(entry, str):
            parts.append(entry)
            continue
        name, reason, values = entry
        if "kind" in values:
            values = dict(values, kind=texts["kinds"][values["kind"]])
        parts.append(f"{name} ({texts[reason].format(**values)})")
    if len(entries) > LISTED_ENTRIES:
        parts.append(f"... (+{len(entries) - LISTED_ENTRIES})")
    return ", ".join(parts)


def member_kind(member):
    """Return the key in MESSAGES["en"]["kinds"] of a member that is not a regular file."""
    checks = [
        ("dir", member.isdir),
        ("sym", member.issym),
        ("lnk", member.islnk),
        ("chr", member.ischr),
        ("blk", member.isblk),
        ("fifo", member.isfifo),
    ]
    return next((kind for kind, check in checks if check()), "other")


def is_inside_top(path):
    """Return whether the normalized relative path is data or lies below it."""
    return path == ARCHIVE_TOP or path.startswith(ARCHIVE_TOP + "/")


def unsafe_reason(member):
    """Return (reason, values) when the member must not be extracted, else None.

    A member is safe when it is data itself or lies below data/, in normalized form, and is a
    regular file, a folder, or a link whose target stays inside data/.
    """
    name = member.name
    parts = name.split("/")
    if name.startswith("/"):
        return "absolute", {}
    if ".." in parts:
        return "parent", {}
    if posixpath.normpath(name) != name or not is_inside_top(name):
        return "outside", {}
    if name == ARCHIVE_TOP and not member.isdir():
        return "top_not_folder", {}

    if member.issym():
        # A symbolic link resolves against its own folder. An absolute target would point into
        # the root of the container that opens it, not into the volume.
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
        if member.linkname.startswith("/") or not is_inside_top(target):
            return "link_outside", {"target": member.linkname}
    elif member.islnk():
        # A hard link names another member of the archive.
        target = member.linkname
        if target.startswith("/") or ".." in target.split("/") or not is_inside_top(target):
            return "link_outside", {"target": target}
    elif not (member.isfile() or member.isdir()):
        return "type", {"kind": member_kind(member)}
    return None


def check_members(archive):
    """Raise ArchiveProblem unless the open archive is a lab backup that is safe to extract.

    Return the number of members.
    """
    members = archive.getmembers()
    if not members:
        raise ArchiveProblem("empty")

    unsafe = []
    seen = set()
    for member in members:
        found = unsafe_reason(member)
        if found is None and member.name in seen:
            # A later copy would overwrite the checked one during extraction.
            found = ("duplicate", {})
        if found is not None:
            unsafe.append((member.name, *found))
        seen.add(member.name)
    if unsafe:
        raise ArchiveProblem("unsafe_entries", entries=unsafe)

    database = next((member for member in members if member.name == DATABASE_MEMBER), None)
    if database is None:
        raise ArchiveProblem("database_missing", entries=[member.name for member in members])
    if not database.isfile():
        raise ArchiveProblem("database_not_file", kind=member_kind(database))
    with archive.extractfile(database) as content:
        if content.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise ArchiveProblem("database_not_sqlite")
    return len(members)


def open_backup(path):
    """Open path as a gzip compressed tar archive, or raise ArchiveProblem."""
    # Opening a FIFO would block until a writer appears, so only regular files are opened.
    try:
        is_regular_file = stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        raise ArchiveProblem("not_found") from None
    except OSError as error:
        raise ArchiveProblem("unreadable", error=error) from None
    if not is_regular_file:
        raise ArchiveProblem("not_a_file")
    try:
        return tarfile.open(path, "r:gz")
    except FileNotFoundError:
        raise ArchiveProblem("not_found") from None
    except IsADirectoryError:
        raise ArchiveProblem("not_a_file") from None
    except (tarfile.TarError, EOFError) as error:
        raise ArchiveProblem("not_tar_gz", error=error) from None
    except OSError as error:
        raise ArchiveProblem("unreadable", error=error) from None


def check_backup(path):
    """Raise ArchiveProblem unless path is a lab backup that is safe to extract.

    Return the number of members.
    """
    with open_backup(path) as archive:
        try:
            return check_members(archive)
        except (tarfile.TarError, EOFError) as error:
            # A truncated or corrupt archive fails only when its members are read.
            raise ArchiveProblem("not_tar_gz", error=error) from None


def restored_mode(member):
    """Return the permission bits that a restored file or folder gets."""
    owner_bits = FOLDER_OWNER_BITS if member.isdir() else FILE_OWNER_BITS
    return (member.mode & KEPT_MODE_BITS) | owner_bits


def restored_entry(member, uid, gid):
    """Return a new header for member, owned by uid:gid, with no extended header of its own.

    A fresh header drops PAX records such as extended attributes and numeric owner overrides,
    so that the owner and mode set here are the ones the engine applies.
    """
    entry = tarfile.TarInfo(member.name)
    entry.mtime = member.mtime
    entry.uid, entry.gid = uid, gid
    entry.uname = entry.gname = ""
    if member.isdir():
        entry.type = tarfile.DIRTYPE
    elif member.issym() or member.islnk():
        entry.type = tarfile.SYMTYPE if member.issym() else tarfile.LNKTYPE
        entry.linkname = member.linkname
    else:
        entry.type = tarfile.REGTYPE
        entry.size = member.size
    entry.mode = 0o777 if member.issym() else restored_mode(member)
    return entry


def restore_order(members):
    """Return members with the folder data first and data/demo.db right after it.

    The engine extracts entries in this order. A restore that is interrupted then leaves the
    database whole, or cut short, which the lab reports as damaged. It never leaves a volume with
    other files but no database, in which site.yml would create an empty one and succeed.
    """
    leading = (ARCHIVE_TOP, DATABASE_MEMBER)
    first = [member for member in members if member.name in leading]
    first.sort(key=lambda member: member.name != ARCHIVE_TOP)
    rest = [member for member in members if member.name not in leading]
    return first + rest


def write_restorable(path, target, uid, gid):
    """Check the backup at path and write it to the binary file target as an uncompressed tar.

    Every entry is owned by uid:gid, with the modes of restored_mode, and the archive starts with
    the folder data even when the backup has no entry for it, so that the volume's top folder
    belongs to uid:gid too. Raise ArchiveProblem for a backup that check_backup rejects. Return
    the number of entries written.
    """
    with open_backup(path) as archive:
        try:
            check_members(archive)
            members = restore_order(archive.getmembers())
            written = 0
            with tarfile.open(fileobj=target, mode="w", format=tarfile.PAX_FORMAT) as restored:
                if all(member.name != ARCHIVE_TOP for member in members):
                    top = tarfile.TarInfo(ARCHIVE_TOP)
                    top.type, top.mode, top.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
                    top.uid, top.gid = uid, gid
                    restored.addfile(top)
                    written += 1
                for member in members:
                    entry = restored_entry(member, uid, gid)
                    content = archive.extractfile(member) if entry.isfile() else None
                    restored.addfile(entry, content)
                    written += 1
        except (tarfile.TarError, EOFError) as error:
            raise ArchiveProblem("not_tar_gz", error=error) from None
    return written
