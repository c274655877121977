"""The error table in protocol/yp-protocol.h and docs/protocol.md agree.

Clients act on the codes, so a code or status documented differently from
what the server sends is a protocol bug even when every test passes.
"""

import os
import re
import unittest

from yunpan_instance import main

SOURCE_ROOT = os.environ.get("YP_SOURCE_ROOT",
                             os.path.join(os.path.dirname(__file__), "..", ".."))


def header_errors():
    """{code: status} from the YP_ERRORS X-macro table, without "ok"."""
    with open(os.path.join(SOURCE_ROOT, "protocol", "yp-protocol.h")) as f:
        text = f.read()
    table = text[text.index("#define YP_ERRORS(X)"):]
    table = table[:table.index("\n\n")]
    rows = re.findall(r'X\(\s*\w+\s*,\s*(\d+)\s*,\s*"([a-z_]+)"', table)
    return {code: int(status) for status, code in rows if code != "ok"}


def doc_errors():
    """{code: status} from the markdown error table of docs/protocol.md."""
    with open(os.path.join(SOURCE_ROOT, "docs", "protocol.md")) as f:
        text = f.read()
    rows = re.findall(r"^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|", text, re.M)
    return {code: int(status) for code, status in rows}


class ProtocolDocTest(unittest.TestCase):

    def test_tables_parsed(self):
        self.assertGreaterEqual(len(header_errors()), 20)
        self.assertGreaterEqual(len(doc_errors()), 20)

    def test_every_header_code_documented_with_its_status(self):
        docs = doc_errors()
        for code, status in header_errors().items():
            with self.subTest(code=code):
                self.assertIn(code, docs, f"{code} missing from docs/protocol.md")
                self.assertEqual(docs[code], status)

    def test_every_documented_code_exists(self):
        header = header_errors()
        for code, status in doc_errors().items():
            with self.subTest(code=code):
                self.assertIn(code, header, f"{code} documented but not in the header")
                self.assertEqual(header[code], status)

    def test_codes_mentioned_in_endpoints_exist(self):
        """Error names listed under each endpoint are real codes."""
        with open(os.path.join(SOURCE_ROOT, "docs", "protocol.md")) as f:
            text = f.read()
        header = header_errors()
        for line in re.findall(r"^Errors(?: \(JSON\))?:(.*(?:\n[^\n#]+)*)", text, re.M):
            for code in re.findall(r"`([a-z_]+)`", line):
                with self.subTest(code=code):
                    self.assertIn(code, header)


if __name__ == "__main__":
    main()
