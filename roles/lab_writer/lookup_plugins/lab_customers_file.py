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
  - The file must be UTF-8, a regular file (not a FIFO or device) and hold at least one
    customer. JSON objects may not repeat a key. Every error names the line (CSV) or the entry
    (JSON) and what to fix.
  - A problem with the file does not raise an error. The result carries the message in C(error),
    so that a task can show it as it is, without Ansible's wrapping of lookup failures.
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
  description: One dict per file.
  type: list
  elements: dict
  contains:
    names:
      description: The names, in file order; empty when C(error) is set.
      type: list
      elements: str
    lines:
      description:
        - For a CSV file, the line of each name, counted from 1 as an editor counts them. A
          quoted field that spans lines counts every line, and a byte-order mark counts none.
        - Null for a JSON file, whose names are counted as entries from 1.
      type: list
      elements: int
    error:
      description: Empty, or a message that describes what is wrong with the file and the fix.
      type: str
"""

import csv
import io
import json
import os
import stat

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
        "empty": (
            "customers file {path} contains no customers: add at least one name (in a CSV file, "
            "one row below the header line with a 'name' column)"
        ),
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
        "json_not_text": "customers file {path}: entry {entry} is {found}, not text. {advice}",
        "json_name_not_text": (
            "customers file {path}: the 'name' of entry {entry} is {found}, not text. {advice}"
        ),
        "json_no_name": (
            "customers file {path}: entry {entry} is an object without a 'name' key ({value}): "
            "add the key, or remove the entry"
        ),
        "json_duplicate_key": (
            "customers file {path}: entry {entry} has the key '{json_key}' more than once, and "
            "JSON readers disagree on which value counts: keep one"
        ),
        "not_regular_file": (
            "customers file {path} is {kind}, not a regular file: set lab_customers_file to the "
            "path of a .csv or .json file"
        ),
        # Parts of the messages above.
        "type_null": "null",
        "type_boolean": "a boolean ({value})",
        "type_number": "a number ({value})",
        "type_array": "an array ({value})",
        "type_object": "an object ({value})",
        "advice_quote": "Quote it: {quoted}",
        "advice_name": 'Write each name in double quotes, like "Ana"',
        "kind_fifo": "a FIFO (named pipe)",
        "kind_socket": "a socket",
        "kind_character_device": "a character device",
        "kind_block_device": "a block device",
        "kind_other": "a special file",
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
        "empty": (
            "o arquivo de clientes {path} não contém clientes: acrescente pelo menos um nome (num "
            "arquivo CSV, uma linha abaixo do cabeçalho com a coluna 'name')"
        ),
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
        "json_not_text": (
            "arquivo de clientes {path}: a entrada {entry} é {found}, não um texto. {advice}"
        ),
        "json_name_not_text": (
            "arquivo de clientes {path}: o 'name' da entrada {entry} é {found}, não um texto. "
            "{advice}"
        ),
        "json_no_name": (
            "arquivo de clientes {path}: a entrada {entry} é um objeto sem a chave 'name' "
            "({value}): acrescente a chave ou remova a entrada"
        ),
        "json_duplicate_key": (
            "arquivo de clientes {path}: a entrada {entry} tem a chave '{json_key}' mais de uma "
            "vez, e os leitores de JSON divergem sobre qual valor vale: mantenha só uma"
        ),
        "not_regular_file": (
            "o arquivo de clientes {path} é {kind}, não um arquivo comum: defina "
            "lab_customers_file com o caminho de um arquivo .csv ou .json"
        ),
        "type_null": "null",
        "type_boolean": "um booleano ({value})",
        "type_number": "um número ({value})",
        "type_array": "um array ({value})",
        "type_object": "um objeto ({value})",
        "advice_quote": "Coloque-o entre aspas: {quoted}",
        "advice_name": 'Escreva cada nome entre aspas duplas, como "Ana"',
        "kind_fifo": "um FIFO (pipe nomeado)",
        "kind_socket": "um socket",
        "kind_character_device": "um dispositivo de caracteres",
        "kind_block_device": "um dispositivo de blocos",
        "kind_other": "um arquivo especial",
    },
}


class CustomersFileError(Exception):
    """A problem with the customers file, described by a message key and its values."""

    def __init__(self, key, **values):
        super().__init__(key)
        self.key = key
        self.values = values


class JsonObject(dict):
    """A JSON object that remembers the keys its text repeated, which dict() keeps only once."""

    repeated_keys = ()


def build_json_object(pairs):
    """Build a JsonObject from json.loads' key-value pairs (its object_pairs_hook)."""
    json_object = JsonObject(pairs)
    if len(json_object) != len(pairs):
        keys = [key for key, _ in pairs]
        json_object.repeated_keys = sorted({key for key in keys if keys.count(key) > 1})
    return json_object


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
    """Return the names of a CSV text and the line on which the row of each one starts.

    The reader's line_num is the last line of the row just read, so a row starts on the line
    after the previous row, blank rows included. A quoted field with line breaks spans lines.
    """
    # The header is the first line that is not blank, and it alone sets the delimiter.
    header_line = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    names = []
    lines = []
    try:
        header = next(rows, None)
        while header is not None and is_blank_row(header):
            header = next(rows, None)
        if header is None:
            raise CustomersFileError("empty", path=path)
        name_index = find_name_column(header, delimiter, path, rows.line_num)

        row_start = rows.line_num + 1
        for row in rows:
            if row and len(row) != len(header):
                raise CustomersFileError(
                    "field_count",
                    path=path,
                    line=row_start,
                    found=len(row),
                    expected=len(header),
                )
            if row:
                names.append(row[name_index])
                lines.append(row_start)
            row_start = rows.line_num + 1
    except csv.Error as error:
        raise CustomersFileError("csv", path=path, line=rows.line_num, error=error) from None
    return names, lines


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


def show_json(value):
    """Return value as JSON text for a message, cut to 60 characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def check_json_entry(entry, number, path):
    """Return the name of one JSON array entry, or raise CustomersFileError saying what is wrong."""
    key = "json_not_text"
    if isinstance(entry, dict):
        if entry.repeated_keys:
            raise CustomersFileError(
                "json_duplicate_key", path=path, entry=number, json_key=entry.repeated_keys[0]
            )
        if "name" not in entry:
            raise CustomersFileError(
                "json_no_name", path=path, entry=number, value=show_json(entry)
            )
        key = "json_name_not_text"
        entry = entry["name"]
    if not isinstance(entry, str):
        raise CustomersFileError(
            key, path=path, entry=number, json_type=json_type_name(entry), value=entry
        )
    return entry


def read_json(text, path):
    try:
        data = json.loads(text, object_pairs_hook=build_json_object)
    except json.JSONDecodeError as error:
        raise CustomersFileError("json", path=path, line=error.lineno, error=error.msg) from None
    if not isinstance(data, list):
        raise CustomersFileError("json_not_array", path=path, type=json_type_name(data))
    return [check_json_entry(entry, number, path) for number, entry in enumerate(data, start=1)]


def describe_file_kind(mode):
    """Return the message key that names the kind of a file that is not a regular file."""
    if stat.S_ISFIFO(mode):
        return "kind_fifo"
    if stat.S_ISSOCK(mode):
        return "kind_socket"
    if stat.S_ISCHR(mode):
        return "kind_character_device"
    if stat.S_ISBLK(mode):
        return "kind_block_device"
    return "kind_other"


def read_bytes(path):
    """Return the content of the regular file at path.

    O_NONBLOCK makes the open of a FIFO return at once instead of waiting for a writer, so
    the file's type can be checked on the open descriptor before anything is read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise CustomersFileError("not_found", path=path) from None
    except OSError as error:
        raise CustomersFileError("unreadable", path=path, error=error.strerror or error) from None

    with os.fdopen(descriptor, "rb") as customers_file:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise CustomersFileError("is_a_directory", path=path)
        if not stat.S_ISREG(mode):
            raise CustomersFileError("not_regular_file", path=path, kind=describe_file_kind(mode))
        return customers_file.read()


def read_customers(path):
    """Return the names in the CSV or JSON file at path and, for CSV, the line of each.

    The lines are None for JSON. Raises CustomersFileError.
    """
    if os.path.isdir(path):
        raise CustomersFileError("is_a_directory", path=path)
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".csv", ".json"):
        raise CustomersFileError("extension", path=path)

    text = decode(read_bytes(path), path)
    if not text.strip():
        raise CustomersFileError("empty", path=path)
    if extension == ".csv":
        names, lines = read_csv(text, path)
    else:
        names, lines = read_json(text, path), None
    if not names:
        raise CustomersFileError("empty", path=path)
    return names, lines


def format_error(error, language):
    """Return the message of a CustomersFileError in language (en or pt_BR)."""
    messages = MESSAGES.get(language, MESSAGES["en"])
    values = dict(error.values)
    if "json_type" in values:
        json_type = values.pop("json_type")
        value = values.pop("value")
        values["found"] = messages[f"type_{json_type}"].format(value=show_json(value))
        if json_type in ("boolean", "number"):
            quoted = json.dumps(json.dumps(value))
            values["advice"] = messages["advice_quote"].format(quoted=quoted)
        else:
            values["advice"] = messages["advice_name"]
    if "kind" in values:
        values["kind"] = messages[values["kind"]]
    return messages[error.key].format(**values)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        language = self.get_option("language")
        results = []
        for term in terms:
            path = os.path.abspath(os.path.expanduser(str(term)))
            try:
                names, lines = read_customers(path)
            except CustomersFileError as error:
                results.append({"names": [], "lines": None, "error": format_error(error, language)})
            else:
                results.append({"names": names, "lines": lines, "error": ""})
        return results
