"""Lookup plugin: read customer names from a CSV or JSON file on the controller."""

DOCUMENTATION = r"""
name: lab_customers_file
short_description: Read customer names from a CSV or JSON file on the controller
description:
  - CSV files need a header row with exactly one C(name) column, in any letter case and with
    any surrounding spaces. Other columns are ignored. Fields are separated by commas, or by
    semicolons when the header has a semicolon and no comma, as spreadsheets set to
    Portuguese write them. A byte-order mark and CRLF line ends are accepted, and empty lines
    are skipped.
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
        "is_a_directory": (
            "customers file {path} is a folder, not a file: set lab_customers_file to the path "
            "of a .csv or .json file"
        ),
        "unreadable": (
            "customers file {path} could not be read ({error}): check that the user running "
            "Ansible may read it"
        ),
        "extension": "customers file {path} must end in .csv or .json",
        "encoding": (
            "customers file {path}, line {line}: not valid UTF-8; save it as UTF-8 "
            "(in spreadsheets: CSV UTF-8)"
        ),
        "empty": "customers file {path} holds no customers",
        "no_name_column_comma": (
            "customers file {path}, line {line}: the header has no 'name' column (found: "
            "{columns}). The header contains a comma, so commas were read as the separator. "
            "Head the column of customer names 'name', and if the file separates fields with "
            "semicolons, remove every comma from the header"
        ),
        "no_name_column_semicolon": (
            "customers file {path}, line {line}: the header has no 'name' column (found: "
            "{columns}). The header contains semicolons and no comma, so semicolons were read "
            "as the separator. Head the column of customer names 'name'"
        ),
        "duplicate_name_column": (
            "customers file {path}, line {line}: the header has the 'name' column more than "
            "once (columns {positions}): keep one and rename or remove the others"
        ),
        "field_count": (
            "customers file {path}, line {line}: {found} fields where the header has {expected}"
        ),
        "csv": "customers file {path}, line {line}: invalid CSV ({error})",
        "json": "customers file {path}, line {line}: invalid JSON ({error})",
        "json_not_array": (
            "customers file {path} contains a JSON {type}, not an array: it must contain a JSON "
            "array of names or of objects with a 'name' key"
        ),
        "json_shape": (
            "customers file {path}: expected a JSON array of names or of objects with a "
            "'name' key; entry {entry} is {found}"
        ),
    },
    "pt_BR": {
        "not_found": "arquivo de clientes {path} não encontrado",
        "is_a_directory": (
            "o arquivo de clientes {path} é uma pasta, não um arquivo: defina lab_customers_file "
            "com o caminho de um arquivo .csv ou .json"
        ),
        "unreadable": (
            "o arquivo de clientes {path} não pôde ser lido ({error}): verifique se o usuário "
            "que executa o Ansible tem permissão de leitura"
        ),
        "extension": "o arquivo de clientes {path} deve terminar em .csv ou .json",
        "encoding": (
            "arquivo de clientes {path}, linha {line}: não é UTF-8 válido; salve-o como UTF-8 "
            "(nas planilhas: CSV UTF-8)"
        ),
        "empty": "o arquivo de clientes {path} não contém clientes",
        "no_name_column_comma": (
            "arquivo de clientes {path}, linha {line}: o cabeçalho não tem a coluna 'name' "
            "(encontradas: {columns}). O cabeçalho contém vírgula, então a vírgula foi lida como "
            "separador. Dê o título 'name' à coluna com os nomes dos clientes e, se o arquivo "
            "separa os campos com ponto e vírgula, tire todas as vírgulas do cabeçalho"
        ),
        "no_name_column_semicolon": (
            "arquivo de clientes {path}, linha {line}: o cabeçalho não tem a coluna 'name' "
            "(encontradas: {columns}). O cabeçalho contém ponto e vírgula e nenhuma vírgula, "
            "então o ponto e vírgula foi lido como separador. Dê o título 'name' à coluna com "
            "os nomes dos clientes"
        ),
        "duplicate_name_column": (
            "arquivo de clientes {path}, linha {line}: o cabeçalho tem a coluna 'name' mais de "
            "uma vez (colunas {positions}): mantenha uma e renomeie ou remova as outras"
        ),
        "field_count": (
            "arquivo de clientes {path}, linha {line}: {found} campos, mas o cabeçalho tem "
            "{expected}"
        ),
        "csv": "arquivo de clientes {path}, linha {line}: CSV inválido ({error})",
        "json": "arquivo de clientes {path}, linha {line}: JSON inválido ({error})",
        "json_not_array": (
            "o arquivo de clientes {path} contém um {type} JSON, não um array: ele deve conter "
            "um array JSON de nomes ou de objetos com a chave 'name'"
        ),
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


def is_blank_row(row):
    return not any(field.strip() for field in row)


def find_name_column(columns, delimiter, path, line):
    """Return the index of the one column named name, ignoring case and surrounding spaces."""
    positions = [index for index, column in enumerate(columns) if column.strip().lower() == "name"]
    if not positions:
        key = "no_name_column_semicolon" if delimiter == ";" else "no_name_column_comma"
        found = ", ".join(column.strip() for column in columns)
        raise CustomersFileError(key, path=path, line=line, columns=found)
    if len(positions) > 1:
        numbers = ", ".join(str(index + 1) for index in positions)
        raise CustomersFileError("duplicate_name_column", path=path, line=line, positions=numbers)
    return positions[0]


def read_csv(text, path):
    # The header is the first line that is not blank, and it alone sets the delimiter.
    header_line = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    names = []
    try:
        header = next(rows, None)
        while header is not None and is_blank_row(header):
            header = next(rows, None)
        if header is None:
            raise CustomersFileError("empty", path=path)
        name_index = find_name_column(header, delimiter, path, rows.line_num)
        for row in rows:
            if not row:
                continue
            if len(row) != len(header):
                raise CustomersFileError(
                    "field_count",
                    path=path,
                    line=rows.line_num,
                    found=len(row),
                    expected=len(header),
                )
            names.append(row[name_index])
    except csv.Error as error:
        raise CustomersFileError("csv", path=path, line=rows.line_num, error=error) from None
    return names


def json_type_name(value):
    """Return the JSON type of a value that json.loads returned: object, string, and so on."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def read_json(text, path):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CustomersFileError("json", path=path, line=error.lineno, error=error.msg) from None
    if not isinstance(data, list):
        raise CustomersFileError("json_not_array", path=path, type=json_type_name(data))
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
    if os.path.isdir(path):
        raise CustomersFileError("is_a_directory", path=path)
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".csv", ".json"):
        raise CustomersFileError("extension", path=path)
    try:
        with open(path, "rb") as customers_file:
            raw = customers_file.read()
    except FileNotFoundError:
        raise CustomersFileError("not_found", path=path) from None
    except OSError as error:
        raise CustomersFileError("unreadable", path=path, error=error.strerror or error) from None

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
