"""Customer settings and customers files through the real playbooks: the messages users read.

Most tests here stop at the customer checks, which run before the engine is contacted, so each
takes a few seconds and creates nothing. The tests assert that, too.
"""

import contextlib
import json
import os
import threading

# LANGUAGE selects the playbooks' messages, and works where no pt_BR locale is installed.
PORTUGUESE = {"LANGUAGE": "pt_BR:pt"}

# Parts of Ansible's own wrapping of a failed lookup, which the role's messages replace.
ANSIBLE_WRAPPING = ("Finalization of task args", "The lookup plugin", "Error while resolving")


def assert_nothing_created(lab):
    assert not lab.volume_exists()
    assert not lab.network_exists()
    assert not lab.image_exists()


def error_line(run):
    """Return the [ERROR] line of a failed run, where Ansible prints the message unwrapped."""
    lines = [line for line in run.output.splitlines() if line.startswith("[ERROR]")]
    assert lines, run.output[-4000:]
    return lines[0]


def flat(run):
    """Return the output of a run with each run of white space as one space.

    Ansible's output wraps long messages, so a phrase can span two lines.
    """
    return " ".join(run.output.split())


def test_null_customers_file_counts_as_unset(lab):
    # The blank name stops the play at the last check, after the customers file was handled.
    run = lab.run("site.yml", "-e", '{"lab_customers_file": null, "lab_customers": ["Alice", ""]}')

    assert run.returncode != 0
    assert 'Invalid customers: entry 2 (""): is empty or blank' in error_line(run)
    assert "NoneType" not in run.output
    assert_nothing_created(lab)


def test_empty_customers_file_in_yaml_counts_as_unset(lab, tmp_path):
    settings = tmp_path / "settings.yml"
    settings.write_text("lab_customers_file:\nlab_customers: [Alice, '']\n", encoding="utf-8")

    run = lab.run("site.yml", "-e", f"@{settings}")

    assert run.returncode != 0
    assert 'Invalid customers: entry 2 (""): is empty or blank' in error_line(run)
    assert_nothing_created(lab)


def test_null_customers_rejected(lab):
    run = lab.run("site.yml", "-e", '{"lab_customers": null}')

    assert run.returncode != 0
    assert error_line(run).endswith(
        "lab_customers must be a list of names, for example [Alice, Bruno], but it is null."
    )
    assert "argument 'lab_writer_customers'" not in run.output
    assert_nothing_created(lab)


def test_mapping_customers_rejected(lab):
    run = lab.run("site.yml", "-e", '{"lab_customers": {"name": "Alice"}}')

    assert run.returncode != 0
    assert 'but it is a mapping: {"name": "Alice"}.' in error_line(run)
    assert "argument 'lab_writer_customers'" not in run.output
    assert_nothing_created(lab)


def test_null_customers_rejected_in_portuguese(lab):
    run = lab.run("site.yml", "-e", '{"lab_customers": null}', environment=PORTUGUESE)

    assert run.returncode != 0
    assert "lab_customers deve ser uma lista de nomes" in error_line(run)
    assert error_line(run).endswith("mas é null (vazio).")


def test_customers_file_list_rejected(lab):
    run = lab.run("site.yml", "-e", '{"lab_customers_file": ["a.csv"]}')

    assert run.returncode != 0
    assert error_line(run).endswith(
        "lab_customers_file must be the path of one .csv or .json file, as text, or empty for "
        'none, but it is a list: ["a.csv"].'
    )
    assert "['a.csv']" not in run.output
    assert_nothing_created(lab)


def test_customers_file_error_shown_plainly(lab, tmp_path):
    missing = tmp_path / "absent.csv"

    run = lab.run("site.yml", "-e", f"lab_customers_file={missing}")

    assert run.returncode != 0
    assert error_line(run).endswith(
        f"Task failed: Action failed: customers file {missing} not found"
    )
    for wrapping in ANSIBLE_WRAPPING:
        assert wrapping not in run.output
    assert_nothing_created(lab)


def test_customers_file_error_in_portuguese(lab, tmp_path):
    customers_file = tmp_path / "turma.json"
    customers_file.write_text('["Ana", 1]', encoding="utf-8")

    run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}", environment=PORTUGUESE)

    assert run.returncode != 0
    assert error_line(run).endswith(
        f"arquivo de clientes {customers_file}: a entrada 2 é um número (1), não um texto. "
        'Coloque-o entre aspas: "1"'
    )
    for wrapping in ANSIBLE_WRAPPING:
        assert wrapping not in run.output


def test_json_number_entry_named(lab, tmp_path):
    customers_file = tmp_path / "types.json"
    customers_file.write_text("[1]", encoding="utf-8")

    run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}")

    assert run.returncode != 0
    assert 'entry 1 is a number (1), not text. Quote it: "1"' in error_line(run)
    assert_nothing_created(lab)


def test_json_duplicate_key_rejected(lab, tmp_path):
    customers_file = tmp_path / "turma.json"
    customers_file.write_text('["Ana", {"name": "Dora", "name": "Eva"}]', encoding="utf-8")

    run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}")

    assert run.returncode != 0
    assert "entry 2 has the key 'name' more than once" in error_line(run)
    assert_nothing_created(lab)


def test_fifo_customers_file_rejected(lab, tmp_path):
    fifo = tmp_path / "x.csv"
    os.mkfifo(fifo)
    finished = threading.Event()

    def release_blocked_reader():
        # A play that opens the FIFO to read blocks in open() until a writer appears. This
        # writer releases such a play after 30 seconds, so the test fails instead of hanging.
        if finished.wait(30):
            return
        # ENXIO: the play no longer has the FIFO open, so there is nothing to release.
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    releaser = threading.Thread(target=release_blocked_reader, daemon=True)
    releaser.start()
    try:
        run = lab.run("site.yml", "-e", f"lab_customers_file={fifo}")
    finally:
        finished.set()
        releaser.join()

    assert run.returncode != 0
    assert f"customers file {fifo} is a FIFO (named pipe), not a regular file" in error_line(run)
    assert_nothing_created(lab)


def test_invalid_names_shown_readably(lab):
    # A woman technologist emoji: two pictographs joined by U+200D ZERO WIDTH JOINER.
    customers = json.dumps(
        {"lab_customers": ["Alice", "\U0001f469\u200d\U0001f4bb", "Jo\u00adana", "Émile"]},
        ensure_ascii=False,
    )

    run = lab.run("site.yml", "-e", customers)

    message = error_line(run)
    assert run.returncode != 0
    assert (
        'entry 2 ("\U0001f469\\u200d\U0001f4bb"): contains a control or invisible format '
        "character, U+200D ZERO WIDTH JOINER"
    ) in message
    assert (
        'entry 3 ("Jo\\u00adana"): contains a control or invisible format character, '
        "U+00AD SOFT HYPHEN"
    ) in message
    assert "\\ud83d" not in message
    assert "entry 4" not in message
    assert_nothing_created(lab)


def test_csv_names_named_by_line(lab, tmp_path):
    # Line 1 header, 2 Ana, 3-4 a quoted name with a line break, 5 blank, 6 a soft hyphen.
    customers_file = tmp_path / "turma.csv"
    content = '\ufeffname,city\r\nAna,Recife\r\n"Bia\r\nLima",Natal\r\n\r\nDo\u00adra,Belém\r\n'
    customers_file.write_bytes(content.encode())

    run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}")

    message = error_line(run)
    assert run.returncode != 0
    assert 'line 3 of lab_customers_file ("Bia\\u000d\\u000aLima"): contains a control' in message
    assert 'line 6 of lab_customers_file ("Do\\u00adra"): contains a control' in message
    assert "entry" not in message.split("Fix these entries")[0]


def test_json_names_named_by_entry_in_portuguese(lab, tmp_path):
    customers_file = tmp_path / "turma.json"
    customers_file.write_text('[\n"Ana",\n" Bia"\n]', encoding="utf-8")

    run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}", environment=PORTUGUESE)

    assert run.returncode != 0
    assert 'entrada 2 de lab_customers_file (" Bia"): começa ou termina com espaço' in error_line(
        run
    )


def test_many_invalid_names_counted(lab, tmp_path):
    customers_file = tmp_path / "turma.json"
    customers_file.write_text(json.dumps([f" name {number}" for number in range(3000)]))

    run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}")

    message = error_line(run)
    assert run.returncode != 0
    assert 'entry 20 of lab_customers_file (" name 19")' in message
    assert "entry 21 of" not in message
    assert "; and 2,980 more (3,000 in all). Fix these entries" in message
    assert_nothing_created(lab)


def test_many_invalid_names_counted_in_portuguese(lab, tmp_path):
    customers_file = tmp_path / "turma.json"
    customers_file.write_text(json.dumps([f" name {number}" for number in range(3000)]))

    run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}", environment=PORTUGUESE)

    assert run.returncode != 0
    assert "; e mais 2.980 (3.000 no total). Corrija essas entradas" in error_line(run)


def test_long_name_counts_code_points(lab):
    # 150 letters, each "e" plus U+0301 COMBINING ACUTE ACCENT: 300 code points.
    customers = json.dumps({"lab_customers": ["e\u0301" * 150]}, ensure_ascii=False)

    english = lab.run("site.yml", "-e", customers)
    portuguese = lab.run("site.yml", "-e", customers, environment=PORTUGUESE)

    assert english.returncode != 0
    assert "has 300 Unicode code points, more than the maximum of 200" in error_line(english)
    assert portuguese.returncode != 0
    assert "tem 300 pontos de código Unicode, mais que o máximo de 200" in error_line(portuguese)
    assert_nothing_created(lab)


def test_one_customer_messages_and_dry_run(lab):
    one = '{"lab_customers": ["Alice"]}'
    two = '{"lab_customers": ["Alice", "Dora"]}'

    site_run = lab.run("site.yml", "-e", one)
    check_run = lab.run("site.yml", "--check", "-e", two)
    verify_run = lab.run("verify.yml", "-e", two)
    portuguese_run = lab.run("verify.yml", "-e", two, environment=PORTUGUESE)

    assert site_run.returncode == 0, site_run.output[-4000:]
    assert "Inserted 1 of 1 customer into /data/demo.db" in flat(site_run)
    assert "The 1 seeded customer is in the database" in flat(site_run)
    assert "(1 row in total)" in flat(site_run)

    assert check_run.returncode == 0, check_run.output[-4000:]
    assert "Would insert 1 of 2 customers into /data/demo.db" in flat(check_run)
    assert "Dry run: nothing was written." in flat(check_run)
    assert "Inserted" not in flat(check_run)
    assert "Check mode: 1 customer is not in the database yet, and a real run seeds it" in (
        flat(check_run)
    )

    assert verify_run.returncode != 0
    assert "1 customer is missing from the database" in flat(verify_run)
    assert "The reader found 1 row. Run site.yml to seed it." in flat(verify_run)
    assert portuguese_run.returncode != 0
    assert "1 cliente ausente do banco" in flat(portuguese_run)
    assert "Execute site.yml para inseri-lo." in flat(portuguese_run)
