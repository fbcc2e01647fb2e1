"""The lab_customers_file lookup plugin on real files: formats it accepts and errors it raises."""

import importlib.util
import os
import re
import signal
from pathlib import Path

import pytest

PLUGIN = (
    Path(__file__).resolve().parents[2] / "roles/lab_writer/lookup_plugins/lab_customers_file.py"
)
spec = importlib.util.spec_from_file_location("lab_customers_file", PLUGIN)
plugin = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plugin)


def read_with_lines(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return plugin.read_customers(str(path))


def read(tmp_path, name, content):
    names, _ = read_with_lines(tmp_path, name, content)
    return names


def error_of(tmp_path, name, content, language="en"):
    with pytest.raises(plugin.CustomersFileError) as caught:
        read(tmp_path, name, content)
    error = caught.value
    return error.key, plugin.format_error(error, language)


def test_csv_with_bom_and_crlf(tmp_path):
    content = "\ufeffname,city\r\nAna,Recife\r\nJoão,Belém\r\n".encode()

    assert read(tmp_path, "c.csv", content) == ["Ana", "João"]


def test_csv_with_semicolons(tmp_path):
    content = "\ufeffnome;name;cidade\r\n1;Conceição, Ana;Recife\r\n".encode()

    assert read(tmp_path, "c.csv", content) == ["Conceição, Ana"]


def test_csv_name_column_anywhere(tmp_path):
    content = b'id,name\n1,Ana\n\n2,"Silva, Bia"\n'

    assert read(tmp_path, "c.csv", content) == ["Ana", "Silva, Bia"]


def test_json_names_and_objects(tmp_path):
    content = '["Ana", {"name": "山田"}]'.encode()

    assert read(tmp_path, "c.json", content) == ["Ana", "山田"]


def test_missing_file(tmp_path):
    with pytest.raises(plugin.CustomersFileError) as caught:
        plugin.read_customers(str(tmp_path / "absent.csv"))

    assert caught.value.key == "not_found"


def test_csv_without_name_column(tmp_path):
    key, message = error_of(tmp_path, "c.csv", b"nome,cidade\nAna,Recife\n")

    assert key == "no_name_column_comma"
    assert "line 1" in message
    assert "nome, cidade" in message
    assert "commas were read as the separator" in message


def test_csv_name_column_any_case(tmp_path):
    content = b"id; Name ;city\n1;Ana;Recife\n2;Bia;Belem\n"

    assert read(tmp_path, "c.csv", content) == ["Ana", "Bia"]


@pytest.mark.parametrize("header", [b"NAME", b"  name  ", b"nAmE,city"])
def test_csv_header_case_and_spaces(tmp_path, header):
    fields = b",Recife" if b"," in header else b""

    assert read(tmp_path, "c.csv", header + b"\nAna" + fields + b"\n") == ["Ana"]


@pytest.mark.parametrize("header", [b"name,email,name", b"Name;email; NAME "])
def test_csv_name_column_twice(tmp_path, header):
    key, message = error_of(tmp_path, "c.csv", b"\n" + header + b"\nAna,a,b\n")

    assert key == "duplicate_name_column"
    assert "line 2" in message
    assert "'name' column more than once (columns 1, 3)" in message


def test_csv_semicolon_header_in_comma_file(tmp_path):
    # A comma anywhere in the header makes the comma the separator, so the whole first part
    # "name;email" becomes one column.
    content = b"name;email,phone\nAna;ana@example.org,555\n"

    key, message = error_of(tmp_path, "c.csv", content)

    assert key == "no_name_column_comma"
    assert "found: name;email, phone" in message
    assert "commas were read as the separator" in message
    assert "remove every comma from the header" in message


def test_csv_semicolon_file_without_name(tmp_path):
    key, message = error_of(tmp_path, "c.csv", b"nome;email\nAna;ana@example.org\n")

    assert key == "no_name_column_semicolon"
    assert "found: nome, email" in message
    assert "semicolons were read as the separator" in message


def test_csv_header_after_blank_lines(tmp_path):
    content = b"\r\n\r\nname;city\r\nAna;Recife\r\n"

    assert read(tmp_path, "c.csv", content) == ["Ana"]


def test_csv_header_line_after_blank_lines(tmp_path):
    key, message = error_of(tmp_path, "c.csv", b"\n\nnome\nAna\n")

    assert key == "no_name_column_comma"
    assert "line 3" in message


def test_folder_path(tmp_path):
    folder = tmp_path / "customers.csv"
    folder.mkdir()

    with pytest.raises(plugin.CustomersFileError) as caught:
        plugin.read_customers(str(folder))

    error = caught.value
    message = plugin.format_error(error, "en")
    assert error.key == "is_a_directory"
    assert f"customers file {folder} is a folder, not a file" in message
    assert "Errno" not in message


def test_unreadable_path(tmp_path):
    (tmp_path / "plain").write_bytes(b"")
    path = tmp_path / "plain" / "customers.csv"

    with pytest.raises(plugin.CustomersFileError) as caught:
        plugin.read_customers(str(path))

    error = caught.value
    message = plugin.format_error(error, "en")
    assert error.key == "unreadable"
    assert f"customers file {path} could not be read (Not a directory)" in message


def test_folder_path_without_extension(tmp_path):
    with pytest.raises(plugin.CustomersFileError) as caught:
        plugin.read_customers(str(tmp_path))

    assert caught.value.key == "is_a_directory"


def test_csv_row_with_extra_field(tmp_path):
    key, message = error_of(tmp_path, "c.csv", b"name\nAna\nBia,extra\n")

    assert key == "field_count"
    assert "line 3" in message


def test_invalid_utf8_names_line(tmp_path):
    key, message = error_of(tmp_path, "c.csv", b"name\nAna\nJo\xe3o\n")

    assert key == "encoding"
    assert "line 3" in message


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"name\r\n", b"[]", b"  \n"])
def test_empty_file(tmp_path, content):
    extension = ".json" if content.startswith(b"[") else ".csv"

    key, _ = error_of(tmp_path, f"c{extension}", content)

    assert key == "empty"


@pytest.mark.parametrize(
    ("content", "json_type"),
    [
        (b'{"name": "Ana"}', "object"),
        (b'"Ana"', "string"),
        (b"42", "number"),
        (b"true", "boolean"),
        (b"null", "null"),
    ],
)
def test_json_not_array(tmp_path, content, json_type):
    key, message = error_of(tmp_path, "c.json", content)

    assert key == "json_not_array"
    assert f"contains a JSON {json_type}, not an array" in message
    assert "entry" not in message


def test_json_entry_not_text(tmp_path):
    key, message = error_of(tmp_path, "c.json", b'["Ana", 42]')

    assert key == "json_not_text"
    assert message.endswith('entry 2 is a number (42), not text. Quote it: "42"')


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[true]", 'entry 1 is a boolean (true), not text. Quote it: "true"'),
        (b"[null]", 'entry 1 is null, not text. Write each name in double quotes, like "Ana"'),
        (b'[["Ana"]]', 'entry 1 is an array (["Ana"]), not text. Write each name'),
        (b'[{"name": 7}]', "the 'name' of entry 1 is a number (7), not text. Quote it: \"7\""),
        (b'[{"nome": "Ana"}]', 'entry 1 is an object without a \'name\' key ({"nome": "Ana"})'),
    ],
)
def test_json_entry_types_named(tmp_path, content, expected):
    _, message = error_of(tmp_path, "c.json", content)

    assert expected in message


def test_json_entry_type_in_portuguese(tmp_path):
    _, message = error_of(tmp_path, "c.json", b'["Ana", 1]', language="pt_BR")

    assert message.endswith('a entrada 2 é um número (1), não um texto. Coloque-o entre aspas: "1"')


def test_json_duplicate_key_rejected(tmp_path):
    content = b'["Ana", {"name": "Dora", "name": "Eva"}]'

    key, message = error_of(tmp_path, "c.json", content)

    assert key == "json_duplicate_key"
    assert "entry 2 has the key 'name' more than once" in message


def test_json_duplicate_other_key_rejected(tmp_path):
    content = b'[{"name": "Dora", "email": "a@example.org", "email": "b@example.org"}]'

    key, message = error_of(tmp_path, "c.json", content, language="pt_BR")

    assert key == "json_duplicate_key"
    assert "a entrada 1 tem a chave 'email' mais de uma vez" in message


def test_json_has_no_lines(tmp_path):
    assert read_with_lines(tmp_path, "c.json", b'[\n"Ana",\n"Bia"\n]') == (["Ana", "Bia"], None)


def test_csv_lines_of_names(tmp_path):
    # Line 1 header, 2 Ana, 3 blank, 4-5 a quoted name with a line break, 6 Eva.
    content = '\ufeffname,city\r\nAna,Recife\r\n\r\n"Bia\r\nLima",Natal\r\nEva,Belém\r\n'

    names, lines = read_with_lines(tmp_path, "c.csv", content.encode())

    assert names == ["Ana", "Bia\r\nLima", "Eva"]
    assert lines == [2, 4, 6]


def test_csv_lines_after_blank_header_lines(tmp_path):
    names, lines = read_with_lines(tmp_path, "c.csv", b"\n\nname\nAna\nBia\n")

    assert names == ["Ana", "Bia"]
    assert lines == [4, 5]


def test_csv_field_count_names_first_line_of_row(tmp_path):
    content = b'name,city\nAna,Recife\n"Bia\nLima",Natal,extra\n'

    key, message = error_of(tmp_path, "c.csv", content)

    assert key == "field_count"
    assert "line 3: 3 fields where the header has 2" in message


def fail_after_five_seconds(signal_number, frame):
    raise TimeoutError("reading the customers file blocked")


def test_fifo_rejected_without_blocking(tmp_path):
    fifo = tmp_path / "customers.csv"
    os.mkfifo(fifo)
    previous_handler = signal.signal(signal.SIGALRM, fail_after_five_seconds)
    signal.alarm(5)
    try:
        with pytest.raises(plugin.CustomersFileError) as caught:
            plugin.read_customers(str(fifo))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous_handler)

    error = caught.value
    assert error.key == "not_regular_file"
    assert plugin.format_error(error, "en") == (
        f"customers file {fifo} is a FIFO (named pipe), not a regular file: set "
        "lab_customers_file to the path of a .csv or .json file"
    )


def test_device_rejected(tmp_path):
    link = tmp_path / "customers.json"
    link.symlink_to("/dev/null")

    with pytest.raises(plugin.CustomersFileError) as caught:
        plugin.read_customers(str(link))

    error = caught.value
    assert error.key == "not_regular_file"
    assert "é um dispositivo de caracteres, não um arquivo comum" in plugin.format_error(
        error, "pt_BR"
    )


def test_invalid_json_names_line(tmp_path):
    key, message = error_of(tmp_path, "c.json", b'[\n"Ana",\n"Bia"\n')

    assert key == "json"
    assert "line 4" in message


def test_other_extension(tmp_path):
    key, _ = error_of(tmp_path, "c.txt", b"Ana\n")

    assert key == "extension"


def test_portuguese_messages_match_english_keys():
    assert plugin.MESSAGES["pt_BR"].keys() == plugin.MESSAGES["en"].keys()


def test_portuguese_messages_match_english_fields():
    for key, english in plugin.MESSAGES["en"].items():
        portuguese = plugin.MESSAGES["pt_BR"][key]
        assert set(re.findall(r"{(\w+)}", portuguese)) == set(re.findall(r"{(\w+)}", english)), key
