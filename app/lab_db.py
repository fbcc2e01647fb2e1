"""Shared parts of the lab's writer and reader: schema, exit codes, messages and connections.

The writer (write_data.py) seeds the customers table and the reader (read_data.py) lists it.
Both keep the database in SQLite's default rollback journal mode (DELETE), never WAL, because
the reader opens it from a volume mounted read-only, where SQLite cannot create the -wal and
-shm files that WAL mode needs.

Exit codes, the same in both scripts:
  0  ok
  2  invalid arguments
  3  database file not found
  4  table customers not found
  5  file is not a SQLite database, or the integrity check failed
  6  table customers exists with another shape
  7  invalid customer name (writer only)
  8  hot journal left by an interrupted write (reader, and the writer's --dry-run)
  9  database locked or busy, read-only where a write was needed, or another SQLite error
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import NamedTuple, NoReturn

DEFAULT_DATABASE = "/data/demo.db"
DATABASE_ENV = "LAB_DATABASE"
LANGUAGE_ENV = "LAB_LANGUAGE"

TABLE = "customers"
EXPECTED_COLUMNS = ("id", "name", "created_at")
CREATE_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)
"""

# Every SQLite 3 database file that is not empty starts with these 16 bytes.
SQLITE_HEADER = b"SQLite format 3\x00"

# First 8 bytes of a rollback journal header once SQLite has synced it. With PRAGMA synchronous
# on (the default), SQLite keeps them zeroed until that sync, just before it first changes the
# database file, so a journal without them has nothing to roll back.
JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")

# Extended result code of a read-only connection that finds a journal which SQLite treats as
# hot. Python 3.11 and later expose it as sqlite3.SQLITE_READONLY_ROLLBACK, and set it on the
# exception as sqlite_errorcode.
SQLITE_READONLY_ROLLBACK = 776

# Seconds a connection waits for another connection's lock before failing with "database is
# locked" (exit code 9).
BUSY_TIMEOUT_SECONDS = 5.0

EXIT_OK = 0
EXIT_INVALID_ARGUMENTS = 2
EXIT_DATABASE_NOT_FOUND = 3
EXIT_TABLE_NOT_FOUND = 4
EXIT_NOT_A_DATABASE = 5
EXIT_WRONG_SHAPE = 6
EXIT_INVALID_NAME = 7
EXIT_HOT_JOURNAL = 8
EXIT_SQLITE_ERROR = 9

ENGLISH = "en"
PORTUGUESE = "pt_BR"

# Each message in English and Brazilian Portuguese, filled in with str.format(). An error
# message names what failed, the value involved, and the next step.
MESSAGES: dict[str, dict[str, str]] = {
    # Errors, printed on stderr.
    "database_not_found": {
        ENGLISH: "database {path} not found: run site.yml first to create and seed it",
        PORTUGUESE: "banco de dados {path} não encontrado: "
        "execute site.yml primeiro para criá-lo e populá-lo",
    },
    "table_not_found": {
        ENGLISH: "table customers not found in database {path}: "
        "run site.yml first to create and seed it",
        PORTUGUESE: "tabela customers não encontrada no banco de dados {path}: "
        "execute site.yml primeiro para criá-la e populá-la",
    },
    "not_a_database": {
        ENGLISH: "file {path} is not a SQLite database: "
        "restore a backup into a new lab (restore.yml with another lab_name), or remove the volume "
        "with cleanup.yml -e lab_teardown_remove_volume=true, which backs it up first, and run "
        "site.yml to create a new one",
        PORTUGUESE: "o arquivo {path} não é um banco de dados SQLite: "
        "restaure um backup num laboratório novo (restore.yml com outro lab_name), ou remova o "
        "volume com cleanup.yml -e lab_teardown_remove_volume=true, que faz um backup antes, e "
        "execute site.yml para criar um novo",
    },
    "database_unreadable": {
        ENGLISH: "database file {path} could not be read ({error}): "
        "check that the container's user (uid 10001) may read it",
        PORTUGUESE: "o arquivo do banco de dados {path} não pôde ser lido ({error}): "
        "verifique se o usuário do contêiner (uid 10001) tem permissão de leitura",
    },
    "is_a_directory": {
        ENGLISH: "{path} is a directory, not a SQLite database file: "
        "pass the path of the database file with --database or LAB_DATABASE",
        PORTUGUESE: "{path} é uma pasta, não um arquivo de banco de dados SQLite: "
        "informe o caminho do arquivo do banco com --database ou LAB_DATABASE",
    },
    "database_damaged": {
        ENGLISH: "database {path} is damaged or not a SQLite database ({error}): "
        "restore a backup into a new lab (restore.yml with another lab_name), or remove the volume "
        "with cleanup.yml -e lab_teardown_remove_volume=true, which backs it up first, and run "
        "site.yml to create a new one",
        PORTUGUESE: "o banco de dados {path} está danificado ou não é SQLite ({error}): "
        "restaure um backup num laboratório novo (restore.yml com outro lab_name), ou remova o "
        "volume com cleanup.yml -e lab_teardown_remove_volume=true, que faz um backup antes, e "
        "execute site.yml para criar um novo",
    },
    "integrity_failed": {
        ENGLISH: "integrity check of database {path} failed ({details}): "
        "restore a backup into a new lab (restore.yml with another lab_name), or remove the volume "
        "with cleanup.yml -e lab_teardown_remove_volume=true, which backs it up first, and run "
        "site.yml to create a new one",
        PORTUGUESE: "a verificação de integridade do banco de dados {path} falhou ({details}): "
        "restaure um backup num laboratório novo (restore.yml com outro lab_name), ou remova o "
        "volume com cleanup.yml -e lab_teardown_remove_volume=true, que faz um backup antes, e "
        "execute site.yml para criar um novo",
    },
    "wrong_shape": {
        ENGLISH: "table customers in database {path} has another shape ({found}), but the lab "
        "expects columns id, name, created_at with a UNIQUE constraint on name. The lab never "
        "alters an existing table: move the database aside and run site.yml to create a new one",
        PORTUGUESE: "a tabela customers do banco de dados {path} tem outro formato ({found}), "
        "mas o laboratório espera as colunas id, name, created_at com restrição UNIQUE em name. "
        "O laboratório nunca altera uma tabela existente: mova o banco para outro lugar "
        "e execute site.yml para criar um novo",
    },
    "shape_columns": {
        ENGLISH: "columns found: {columns}, UNIQUE on name: {unique}",
        PORTUGUESE: "colunas encontradas: {columns}, UNIQUE em name: {unique}",
    },
    "shape_view": {
        ENGLISH: "customers is a view, not a table",
        PORTUGUESE: "customers é uma view, não uma tabela",
    },
    "yes": {ENGLISH: "yes", PORTUGUESE: "sim"},
    "no": {ENGLISH: "no", PORTUGUESE: "não"},
    "constraint_failed": {
        ENGLISH: "table customers in database {path} rejected the name {name} ({error}), so "
        "nothing was written. The table has constraints that the lab does not create: move the "
        "database aside and run site.yml to create a new one",
        PORTUGUESE: "a tabela customers do banco de dados {path} rejeitou o nome {name} "
        "({error}), então nada foi gravado. A tabela tem restrições que o laboratório não cria: "
        "mova o banco para outro lugar e execute site.yml para criar um novo",
    },
    "hot_journal": {
        ENGLISH: "database {path} has a hot journal {journal} left by an interrupted write, and "
        "a read-only connection cannot roll it back. Run site.yml so that the writer rolls the "
        "interrupted write back, or retry once a write still in progress has finished",
        PORTUGUESE: "o banco de dados {path} tem um journal pendente {journal} deixado por uma "
        "gravação interrompida, e uma conexão somente leitura não pode desfazê-la. Execute "
        "site.yml para que o gravador desfaça a gravação interrompida, ou tente de novo quando "
        "uma gravação ainda em andamento terminar",
    },
    "stale_journal_not_removed": {
        ENGLISH: "the stale rollback journal {journal} of database {path}, which SQLite ignores, "
        "could not be deleted ({error}). SQLite also creates and deletes its journal in that "
        "folder on every write: check that the container's user (uid 10001) may create and "
        "delete files there",
        PORTUGUESE: "o journal de rollback obsoleto {journal} do banco de dados {path}, que o "
        "SQLite ignora, não pôde ser apagado ({error}). O SQLite também cria e apaga o journal "
        "nessa pasta a cada gravação: verifique se o usuário do contêiner (uid 10001) pode criar "
        "e apagar arquivos nela",
    },
    "folder_not_found": {
        ENGLISH: "folder {folder} of database {path} not found: mount the data volume there, "
        "or pass a path in an existing folder with --database or LAB_DATABASE",
        PORTUGUESE: "a pasta {folder} do banco de dados {path} não foi encontrada: monte o volume "
        "de dados nela, ou informe um caminho numa pasta existente com --database ou LAB_DATABASE",
    },
    "sqlite_error": {
        ENGLISH: "SQLite failed on database {path}: {error}. If the database is locked or busy, "
        "retry when the other write has finished. If it is read-only, check that the container's "
        "user (uid 10001) owns the database file and its folder, for example after files were "
        "copied into the volume by hand",
        PORTUGUESE: "o SQLite falhou no banco de dados {path}: {error}. Se o banco estiver "
        "bloqueado ou ocupado, tente de novo quando a outra gravação terminar. Se ele for somente "
        "leitura, verifique se o usuário do contêiner (uid 10001) é dono do arquivo do banco e da "
        "pasta dele, por exemplo depois de copiar arquivos para o volume à mão",
    },
    "empty_database_path": {
        ENGLISH: "the database path is empty: pass a file path with --database or LAB_DATABASE",
        PORTUGUESE: "o caminho do banco de dados está vazio: "
        "informe o caminho de um arquivo com --database ou LAB_DATABASE",
    },
    "usage_error": {
        ENGLISH: "{prog}: error: {error}\nrun {prog} --help to see the options and exit codes",
        PORTUGUESE: "{prog}: erro: {error}\n"
        "execute {prog} --help para ver as opções e os códigos de saída",
    },
    "constraint_ignored": {
        ENGLISH: "INSERT OR IGNORE skipped it because a constraint failed",
        PORTUGUESE: "o INSERT OR IGNORE o pulou porque uma restrição falhou",
    },
    # Writer errors about the request.
    "no_names": {
        ENGLISH: "no customer names given: "
        "pass names as arguments, or a JSON array of names with --names-file",
        PORTUGUESE: "nenhum nome de cliente informado: "
        "passe nomes como argumentos, ou um array JSON de nomes com --names-file",
    },
    "names_file_unreadable": {
        ENGLISH: "names file {path} could not be read ({error}): "
        "pass a readable JSON file with --names-file",
        PORTUGUESE: "o arquivo de nomes {path} não pôde ser lido ({error}): "
        "informe um arquivo JSON legível com --names-file",
    },
    "names_file_invalid": {
        ENGLISH: "names file {path} is not valid UTF-8 JSON ({error}): "
        "it must contain a JSON array of strings",
        PORTUGUESE: "o arquivo de nomes {path} não é JSON UTF-8 válido ({error}): "
        "ele deve conter um array JSON de strings",
    },
    "names_file_not_array": {
        ENGLISH: "names file {path} contains a JSON {type}, not an array: "
        "it must contain a JSON array of strings",
        PORTUGUESE: "o arquivo de nomes {path} contém um {type} JSON, não um array: "
        "ele deve conter um array JSON de strings",
    },
    "invalid_name": {
        ENGLISH: "invalid customer name {name} ({origin}): {reason}",
        PORTUGUESE: "nome de cliente inválido {name} ({origin}): {reason}",
    },
    "origin_argument": {
        ENGLISH: "argument {index}",
        PORTUGUESE: "argumento {index}",
    },
    "origin_file": {
        ENGLISH: "entry {index} of {path}",
        PORTUGUESE: "item {index} de {path}",
    },
    "reason_not_string": {
        ENGLISH: "it is a JSON {type}, not a string",
        PORTUGUESE: "é um {type} JSON, não uma string",
    },
    "reason_blank": {
        ENGLISH: "it is empty or contains only whitespace",
        PORTUGUESE: "está vazio ou contém só espaços em branco",
    },
    "reason_surrounding_whitespace": {
        ENGLISH: "it starts or ends with whitespace",
        PORTUGUESE: "começa ou termina com espaço em branco",
    },
    # One message for each Unicode category that names may not contain, in the Unicode
    # standard's term for it. {codepoint} is U+XXXX, then the character's name if it has one.
    "reason_control_character": {
        ENGLISH: "it contains the control character {codepoint}",
        PORTUGUESE: "contém o caractere de controle {codepoint}",
    },
    "reason_format_character": {
        ENGLISH: "it contains the format character {codepoint}, which is usually invisible",
        PORTUGUESE: "contém o caractere de formatação {codepoint}, que costuma ser invisível",
    },
    "reason_surrogate": {
        ENGLISH: "it contains the lone surrogate {codepoint}, which UTF-8 cannot encode",
        PORTUGUESE: "contém o surrogate isolado {codepoint}, que o UTF-8 não codifica",
    },
    "reason_line_separator": {
        ENGLISH: "it contains the line separator {codepoint}, "
        "which many programs treat as a line break",
        PORTUGUESE: "contém o separador de linha {codepoint}, "
        "que muitos programas tratam como quebra de linha",
    },
    "reason_paragraph_separator": {
        ENGLISH: "it contains the paragraph separator {codepoint}, "
        "which many programs treat as a line break",
        PORTUGUESE: "contém o separador de parágrafo {codepoint}, "
        "que muitos programas tratam como quebra de linha",
    },
    # Python counts a str in code points, so "e" plus a combining accent is two of them.
    "reason_too_long": {
        ENGLISH: "it has {length} Unicode code points, more than the maximum of {maximum} "
        "(a letter with an accent typed as a separate combining character counts as two)",
        PORTUGUESE: "tem {length} pontos de código Unicode, mais que o máximo de {maximum} "
        "(uma letra com acento digitada como caractere combinante separado conta como dois)",
    },
    "reason_duplicate": {
        ENGLISH: "it repeats the name of {first}",
        PORTUGUESE: "repete o nome do {first}",
    },
    "more_invalid_names": {
        ENGLISH: "... and {count} more invalid customer names",
        PORTUGUESE: "... e mais {count} nomes de cliente inválidos",
    },
    "invalid_names": {
        ENGLISH: "{listed}\nnothing was written to {path}: "
        "fix or remove the invalid names above and run again",
        PORTUGUESE: "{listed}\nnada foi gravado em {path}: "
        "corrija ou remova os nomes inválidos acima e execute de novo",
    },
    # Results, printed on stdout.
    "write_summary": {
        ENGLISH: "inserted {inserted} of {requested} customers into {path} ({total} in total)",
        PORTUGUESE: "inseridos {inserted} de {requested} clientes em {path} ({total} no total)",
    },
    "dry_run_summary": {
        ENGLISH: "dry run: would insert {inserted} of {requested} customers into {path} "
        "({total} in total now, nothing written)",
        PORTUGUESE: "simulação: seriam inseridos {inserted} de {requested} clientes em {path} "
        "({total} no total agora, nada foi gravado)",
    },
    "customer_count": {
        ENGLISH: "{count} customers in {path}",
        PORTUGUESE: "{count} clientes em {path}",
    },
    "integrity_ok": {
        ENGLISH: "integrity check of {path}: ok",
        PORTUGUESE: "verificação de integridade de {path}: ok",
    },
    # Help text, printed on stdout by --help.
    "write_description": {
        ENGLISH: "Insert customer names into the lab's SQLite database in one transaction, "
        "creating the\ncustomers table if it is missing. Names that are already stored are "
        "skipped. Every name\nis checked before the database is opened, and stored "
        "exactly as given.",
        PORTUGUESE: "Insere nomes de clientes no banco de dados SQLite do laboratório numa só "
        "transação,\ncriando a tabela customers se ela não existir. Nomes já gravados são "
        "pulados. Cada nome\né verificado antes de o banco ser aberto, e gravado "
        "exatamente como foi dado.",
    },
    "help_names": {
        ENGLISH: "customer names to insert: at most 200 Unicode code points each, with no "
        "leading or trailing whitespace, and no control characters, format characters (such as "
        "U+200B ZERO WIDTH SPACE) or line and paragraph separators. Put -- before names that "
        "start with -",
        PORTUGUESE: "nomes de clientes a inserir: no máximo 200 pontos de código Unicode cada, "
        "sem espaço em branco no início ou no fim, e sem caracteres de controle, caracteres de "
        "formatação (como U+200B ZERO WIDTH SPACE) ou separadores de linha e de parágrafo. "
        "Ponha -- antes de nomes que começam com -",
    },
    "help_names_file": {
        ENGLISH: "also insert the names in this UTF-8 JSON file, which contains an array of "
        "strings",
        PORTUGUESE: "insere também os nomes deste arquivo JSON UTF-8, que contém um array de "
        "strings",
    },
    "help_dry_run": {
        ENGLISH: "open the database read-only and report how many names would be inserted, "
        "writing nothing",
        PORTUGUESE: "abre o banco somente para leitura e informa quantos nomes seriam "
        "inseridos, sem gravar nada",
    },
    "read_description": {
        ENGLISH: "List the customers in the lab's SQLite database, ordered by id. The database "
        "is opened\nread-only, so the reader never changes it and works on a volume mounted "
        "read-only.\nText output is one line per customer (id, name and created_at separated "
        "by tabs),\nthen a count line.",
        PORTUGUESE: "Lista os clientes do banco de dados SQLite do laboratório, ordenados por "
        "id. O banco é\naberto somente para leitura, então o leitor nunca o altera e funciona "
        "num volume montado\nsomente para leitura. A saída de texto tem uma linha por cliente "
        "(id, name e created_at\nseparados por tabulações) e depois uma linha com a contagem.",
    },
    "help_integrity_check": {
        ENGLISH: "run PRAGMA integrity_check before listing, and exit with code 5 unless it "
        "returns ok",
        PORTUGUESE: "executa PRAGMA integrity_check antes de listar, e sai com código 5 se o "
        "resultado não for ok",
    },
    # Help text shared by both scripts.
    "help_database": {
        ENGLISH: "path of the SQLite database file "
        "(default: $LAB_DATABASE if set, else /data/demo.db)",
        PORTUGUESE: "caminho do arquivo do banco de dados SQLite "
        "(padrão: $LAB_DATABASE, se definida, senão /data/demo.db)",
    },
    "help_json": {
        ENGLISH: "print the result as one JSON object on stdout",
        PORTUGUESE: "imprime o resultado como um objeto JSON na saída padrão",
    },
    "exit_codes": {
        ENGLISH: "exit codes:\n"
        "  0  ok\n"
        "  2  invalid arguments\n"
        "  3  database file not found\n"
        "  4  table customers not found\n"
        "  5  file is not a SQLite database, or the integrity check failed\n"
        "  6  table customers exists with another shape\n"
        "  7  invalid customer name\n"
        "  8  hot journal left by an interrupted write (read-only access cannot roll it back)\n"
        "  9  database locked or busy, read-only where a write was needed, "
        "or another SQLite error\n"
        "\n"
        "Messages are in English, or in Brazilian Portuguese when LAB_LANGUAGE=pt_BR, or when\n"
        "LAB_LANGUAGE is unset and LC_ALL, LC_MESSAGES or LANG starts with pt.",
        PORTUGUESE: "códigos de saída:\n"
        "  0  ok\n"
        "  2  argumentos inválidos\n"
        "  3  arquivo do banco de dados não encontrado\n"
        "  4  tabela customers não encontrada\n"
        "  5  o arquivo não é um banco de dados SQLite, ou a verificação de integridade falhou\n"
        "  6  a tabela customers existe com outro formato\n"
        "  7  nome de cliente inválido\n"
        "  8  journal pendente de uma gravação interrompida "
        "(o acesso somente leitura não pode desfazê-la)\n"
        "  9  banco bloqueado ou ocupado, somente leitura onde era preciso gravar, "
        "ou outro erro do SQLite\n"
        "\n"
        "As mensagens saem em inglês, ou em português do Brasil quando LAB_LANGUAGE=pt_BR, ou\n"
        "quando LAB_LANGUAGE não está definida e LC_ALL, LC_MESSAGES ou LANG começa com pt.",
    },
}


class LabError(Exception):
    """Expected failure that a script reports as one message on stderr and an exit code."""

    def __init__(self, exit_code: int, message_key: str, **values: object) -> None:
        super().__init__(message_key)
        self.exit_code = exit_code
        self.message_key = message_key
        self.values = values

    def message(self, language: str) -> str:
        return format_message(self.message_key, language, **self.values)


class TableShape(NamedTuple):
    """Columns of an existing customers table, and whether name has a UNIQUE constraint."""

    is_view: bool
    columns: list[str]
    unique_name: bool


# Languages and output


def detect_language(environ: Mapping[str, str] = os.environ) -> str:
    """Return PORTUGUESE or ENGLISH, from LAB_LANGUAGE or else from the POSIX locale variables.

    LC_ALL overrides LC_MESSAGES, which overrides LANG, as in POSIX. Any value that starts with
    "pt" selects Brazilian Portuguese, and every other value selects English.
    """
    setting = environ.get(LANGUAGE_ENV, "")
    if not setting:
        for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
            setting = environ.get(variable, "")
            if setting:
                break

    return PORTUGUESE if setting.lower().startswith("pt") else ENGLISH


def format_message(key: str, language: str, **values: object) -> str:
    translations = MESSAGES[key]
    template = translations.get(language, translations[ENGLISH])
    return template.format(**values)


def print_error(error: LabError, language: str) -> None:
    print(error.message(language), file=sys.stderr)


def use_utf8_output() -> None:
    """Reconfigure stdout and stderr to UTF-8, so names print the same under any locale."""
    for stream, errors in ((sys.stdout, "strict"), (sys.stderr, "backslashreplace")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors=errors)


def quote_for_message(value: object) -> str:
    """Return value as a JSON literal, so blanks, control characters and non-strings show."""
    return json.dumps(value, ensure_ascii=False)


# Command line


class LabArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are localized and exit with EXIT_INVALID_ARGUMENTS.

    NOTE: the detail of an argparse error, and argparse's own headings in --help
    ("usage:", "options:"), stay in English because Python ships no translation for them.
    """

    def __init__(self, language: str, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        kwargs.setdefault("epilog", format_message("exit_codes", language))
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.language = language

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        text = format_message("usage_error", self.language, prog=self.prog, error=message)
        self.exit(EXIT_INVALID_ARGUMENTS, text + "\n")


def add_common_arguments(parser: LabArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="PATH",
        help=format_message("help_database", parser.language),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help=format_message("help_json", parser.language),
    )


def resolve_database_path(option: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """Return the database path from --database, else LAB_DATABASE, else DEFAULT_DATABASE.

    Raises LabError (exit code 2) when --database is given as an empty string.
    """
    if option is not None:
        if not option:
            raise LabError(EXIT_INVALID_ARGUMENTS, "empty_database_path")
        return option

    return environ.get(DATABASE_ENV) or DEFAULT_DATABASE


# Database files


def journal_path(path: str) -> str:
    return path + "-journal"


def has_hot_journal(path: str) -> bool:
    """Return whether the rollback journal next to path starts with JOURNAL_MAGIC.

    SQLite's file format documentation (https://www.sqlite.org/fileformat.html, "Hot Journals")
    calls a journal hot when it exists, is not empty, has a header that is well-formed and not
    zeroed, and no connection holds a RESERVED lock on the database. A writer killed before it
    first synced its journal leaves the header zeroed. It had not changed the database file
    yet, so SQLite ignores that journal and so does this check.

    A journal that the user may not read counts as hot, because SQLite 3.40 also treats
    a journal that it cannot open as hot. Other errors, such as a folder in the journal's
    place, count as not hot, and SQLite reports them when it opens the database.

    NOTE: a write in progress in another process also leaves a journal that starts with
    JOURNAL_MAGIC, so this reports it as hot too. SQLite itself distinguishes the two by the
    writer's RESERVED lock, which a check of the files cannot see.
    """
    try:
        with open(journal_path(path), "rb") as journal:
            return journal.read(len(JOURNAL_MAGIC)) == JOURNAL_MAGIC
    except FileNotFoundError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False


def check_is_database_file(path: str) -> None:
    """Raise LabError (exit code 5) unless path is a file that SQLite can open as a database.

    An empty file counts as a database, as it does for SQLite. A missing path is not checked.
    """
    if os.path.isdir(path):
        raise LabError(EXIT_NOT_A_DATABASE, "is_a_directory", path=path)

    try:
        with open(path, "rb") as database_file:
            header = database_file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise LabError(
            EXIT_SQLITE_ERROR, "database_unreadable", path=path, error=error.strerror or error
        ) from error

    if header and header != SQLITE_HEADER:
        raise LabError(EXIT_NOT_A_DATABASE, "not_a_database", path=path)


def read_only_uri(path: str) -> str:
    """Return a SQLite URI that opens path read-only, with ? # % and spaces percent-encoded."""
    return "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"


@contextmanager
def open_read_only(path: str) -> Iterator[sqlite3.Connection]:
    """Open path read-only, so that SQLite never creates, changes or deletes a file.

    SQLite errors raised while opening or inside the block become LabError.
    """
    with translate_sqlite_errors(path):
        connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            yield connection
        finally:
            connection.close()


@contextmanager
def open_read_write(path: str) -> Iterator[sqlite3.Connection]:
    """Open path for writing, creating the file if missing, with transactions left to the caller.

    isolation_level=None stops the sqlite3 module from opening transactions on its own, so
    the caller's BEGIN IMMEDIATE ... COMMIT is the only transaction. SQLite errors raised while
    opening or inside the block become LabError.
    """
    with translate_sqlite_errors(path):
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            yield connection
        finally:
            connection.close()


@contextmanager
def translate_sqlite_errors(path: str) -> Iterator[None]:
    """Turn SQLite exceptions raised inside the block into LabError with their exit code."""
    try:
        yield
    except sqlite3.OperationalError as error:
        # SQLite 3.40 treats every journal whose first byte is not zero as hot, also one without
        # JOURNAL_MAGIC that has_hot_journal lets through, and the writer's read-write open
        # discards such a journal. Before Python 3.11 the exception has no sqlite_errorcode, so
        # such a journal ends in exit code 9.
        if getattr(error, "sqlite_errorcode", None) == SQLITE_READONLY_ROLLBACK:
            raise LabError(
                EXIT_HOT_JOURNAL, "hot_journal", path=path, journal=journal_path(path)
            ) from error
        raise LabError(EXIT_SQLITE_ERROR, "sqlite_error", path=path, error=error) from error
    except sqlite3.DatabaseError as error:
        # Python's sqlite3 raises a plain DatabaseError for SQLITE_NOTADB and SQLITE_CORRUPT.
        raise LabError(EXIT_NOT_A_DATABASE, "database_damaged", path=path, error=error) from error


# Table shape


def read_table_shape(connection: sqlite3.Connection) -> TableShape | None:
    """Return the shape of the customers table or view, or None when neither exists."""
    row = connection.execute(
        "SELECT type FROM sqlite_master WHERE type IN ('table', 'view') AND lower(name) = ?",
        (TABLE,),
    ).fetchone()
    if row is None:
        return None

    columns = [
        column_name
        for (column_name,) in connection.execute(
            "SELECT name FROM pragma_table_info(?) ORDER BY cid", (TABLE,)
        )
    ]
    return TableShape(
        is_view=row[0] == "view",
        columns=columns,
        unique_name=has_unique_name(connection),
    )


def has_unique_name(connection: sqlite3.Connection) -> bool:
    """Return whether a UNIQUE index covers exactly the column name, for every row, by bytes.

    A partial index or one with another collation (NOCASE, RTRIM) would let INSERT OR IGNORE
    skip or keep names differently, so neither counts.
    """
    indexes = connection.execute(
        'SELECT name FROM pragma_index_list(?) WHERE "unique" = 1 AND partial = 0', (TABLE,)
    ).fetchall()

    for (index_name,) in indexes:
        key_columns = connection.execute(
            "SELECT lower(name), coll FROM pragma_index_xinfo(?) WHERE key = 1", (index_name,)
        ).fetchall()
        if key_columns == [("name", "BINARY")]:
            return True

    return False


def check_table_shape(shape: TableShape, path: str, language: str) -> None:
    """Raise LabError (exit code 6) unless the table has the lab's columns and UNIQUE on name."""
    if shape.is_view:
        found = format_message("shape_view", language)
        raise LabError(EXIT_WRONG_SHAPE, "wrong_shape", path=path, found=found)

    lower_columns = [column.lower() for column in shape.columns]
    missing = [column for column in EXPECTED_COLUMNS if column not in lower_columns]
    if missing or not shape.unique_name:
        found = format_message(
            "shape_columns",
            language,
            columns=", ".join(shape.columns) or "-",
            unique=format_message("yes" if shape.unique_name else "no", language),
        )
        raise LabError(EXIT_WRONG_SHAPE, "wrong_shape", path=path, found=found)


def count_customers(connection: sqlite3.Connection) -> int:
    (count,) = connection.execute("SELECT count(*) FROM customers").fetchone()
    return int(count)


def format_integrity_details(rows: Sequence[Sequence[object]]) -> str:
    """Join the first lines of a failed PRAGMA integrity_check, which can list thousands."""
    first_lines = [str(row[0]) for row in rows[:3]]
    if len(rows) > len(first_lines):
        first_lines.append("...")
    return "; ".join(first_lines)
