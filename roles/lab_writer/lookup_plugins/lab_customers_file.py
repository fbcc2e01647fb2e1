"""Lookup plugin: read customer names from a CSV or JSON file on the controller."""

DOCUMENTATION = r"""
name: lab_customers_file
short_description: Read customer names from a CSV or JSON file on the controller
description:
  - CSV files need a header row with a C(name) column; other columns are ignored. Fields are
    separated by commas, or by semicolons when the header has a semicolon and no comma, as
    spreadsheets set to Portuguese write them. A byte-order mark and CRLF line ends are
    accepted, and empty lines are skipped.
  - JSON files hold an array of names, or of objects with a C(name) key.
  - The file must be UTF-8 and hold at least one customer. Every error names the line (CSV) or
    the entry (JSON) and what to fix.
options:
  _terms:
    description: Path of the file; a relative path starts at the current folder.
    required: true
  language:
    description: Language of the error messages, V(en) or V(pt_BR).
    default: en
"""

RETURN = r"""
_raw:
  description: One list with the names, in file order.
  type: list
  elements: str
"""

import csv
import io
import json
import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

MESSAGES = {
    "en": {
        "not_found": "customers file {path} not found",
        "extension": "customers file {path} must end in .csv or .json",
        "encoding": (
            "customers file {path}, line {line}: not valid UTF-8; save it as UTF-8 "
            "(in spreadsheets: CSV UTF-8)"
        ),
        "empty": "customers file {path} holds no customers",
        "no_name_column": (
            "customers file {path}, line 1: the header has no 'name' column (found: {columns})"
        ),
        "field_count": (
            "customers file {path}, line {line}: {found} fields where the header has {expected}"
        ),
        "csv": "customers file {path}, line {line}: invalid CSV ({error})",
        "json": "customers file {path}, line {line}: invalid JSON ({error})",
        "json_shape": (
            "customers file {path}: expected a JSON array of names or of objects with a "
            "'name' key; entry {entry} is {found}"
        ),
    },
    "pt_BR": {
        "not_found": "arquivo de clientes {path} não encontrado",
        "extension": "o arquivo de clientes {path} deve terminar em .csv ou .json",
        "encoding": (
            "arquivo de clientes {path}, linha {line}: não é UTF-8 válido; salve-o como UTF-8 "
            "(nas planilhas: CSV UTF-8)"
        ),
        "empty": "o arquivo de clientes {path} não contém clientes",
        "no_name_column": (
            "arquivo de clientes {path}, linha 1: o cabeçalho não tem a coluna 'name' "
            "(encontradas: {columns})"
        ),
        "field_count": (
            "arquivo de clientes {path}, linha {line}: {found} campos, mas o cabeçalho tem "
            "{expected}"
        ),
        "csv": "arquivo de clientes {path}, linha {line}: CSV inválido ({error})",
        "json": "arquivo de clientes {path}, linha {line}: JSON inválido ({error})",
        "json_shape": (
            "arquivo de clientes {path}: esperado um array JSON de nomes ou de objetos com a "
            "chave 'name'; a entrada {entry} é {found}"
        ),
    },
}


class CustomersFileError(Exception):
    """A problem with the customers file, described by a message key and its values."""

    def __init__(self, key, **values):
        super().__init__(key)
        self.key = key
        self.values = values


def decode(raw, path):
    """Return the text of UTF-8 bytes without a byte-order mark; an error names the bad line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CustomersFileError("encoding", path=path, line=line) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_csv(text, path):
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    names = []
    try:
        header = next(rows, None)
        if header is None:
            raise CustomersFileError("empty", path=path)
        columns = [column.strip() for column in header]
        if "name" not in columns:
            raise CustomersFileError("no_name_column", path=path, columns=", ".join(columns))
        name_index = columns.index("name")
        for row in rows:
            if not row:
                continue
            if len(row) != len(columns):
                raise CustomersFileError(
                    "field_count",
                    path=path,
                    line=rows.line_num,
                    found=len(row),
                    expected=len(columns),
                )
            names.append(row[name_index])
    except csv.Error as error:
        raise CustomersFileError("csv", path=path, line=rows.line_num, error=error) from None
    return names


def read_json(text, path):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CustomersFileError("json", path=path, line=error.lineno, error=error.msg) from None
    if not isinstance(data, list):
        raise CustomersFileError("json_shape", path=path, entry=0, found=type(data).__name__)
    names = []
    for number, entry in enumerate(data, start=1):
        if isinstance(entry, dict) and "name" in entry:
            entry = entry["name"]
        if not isinstance(entry, str):
            found = json.dumps(entry, ensure_ascii=False)[:60]
            raise CustomersFileError("json_shape", path=path, entry=number, found=found)
        names.append(entry)
    return names


def read_customers(path):
    """Return the names in the CSV or JSON file at path, or raise CustomersFileError."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".csv", ".json"):
        raise CustomersFileError("extension", path=path)
    try:
        with open(path, "rb") as customers_file:
            raw = customers_file.read()
    except FileNotFoundError:
        raise CustomersFileError("not_found", path=path) from None

    text = decode(raw, path)
    if not text.strip():
        raise CustomersFileError("empty", path=path)
    names = read_csv(text, path) if extension == ".csv" else read_json(text, path)
    if not names:
        raise CustomersFileError("empty", path=path)
    return names


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        messages = MESSAGES.get(self.get_option("language"), MESSAGES["en"])
        results = []
        for term in terms:
            path = os.path.abspath(os.path.expanduser(str(term)))
            try:
                results.append(read_customers(path))
            except CustomersFileError as error:
                raise AnsibleLookupError(messages[error.key].format(**error.values)) from None
        return results
