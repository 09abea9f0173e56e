"""Encoding detection: what arrives in the wild, and what must be refused with a line number."""

import pytest

from nhi_portal.intake.decoding import decode_bytes
from nhi_portal.intake.errors import FileRejected

TEXT = "氏名,住所\r\nNGUYEN VAN AN,東京都小金井市本町1-2-3\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("cp932"), "cp932"),
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.replace("\r\n", "\n").encode("cp932"), "cp932"),
        (b"name\nNGUYEN\n", "utf-8"),
    ],
)
def test_accepted_encodings(data, encoding):
    text, found = decode_bytes(data)
    assert found == encoding
    assert "NGUYEN" in text
    assert "\ufeff" not in text


def rejection(data: bytes) -> FileRejected:
    with pytest.raises(FileRejected) as exc:
        decode_bytes(data)
    return exc.value


def test_empty_file():
    assert "空" in rejection(b"").reason
    assert "空" in rejection(b"\r\n\r\n").reason


def test_binary_file_names_the_line():
    err = rejection(b"a,b\n1,2\nPK\x03\x04\x00\x00binary")
    assert "バイナリ" in err.reason
    assert err.line == 3


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        # Excel's 「Unicode テキスト」: UTF-16LE with BOM, tab-separated, CRLF.
        ("\ufeff氏名\t住所\r\nNGUYEN VAN AN\t東京都小金井市本町一丁目\r\n".encode("utf-16-le"), "utf-16-le"),
        ("\ufeff氏名,住所\r\nNGUYEN VAN AN,東京都\r\n".encode("utf-16-be"), "utf-16-be"),
        ("氏名,住所\r\nNGUYEN VAN AN,東京都小金井市本町一丁目\r\n".encode("utf-16-le"), "utf-16-le"),
    ],
)
def test_utf16_is_decoded_not_called_binary(data, encoding):
    text, found = decode_bytes(data)
    assert found == encoding
    assert text.startswith("氏名")
    assert "NGUYEN VAN AN" in text
    assert "\ufeff" not in text


def test_utf16_cut_in_the_middle_of_a_character_names_the_line():
    data = "\ufeff氏名,住所\r\nNGUYEN,東京\r\n".encode("utf-16-le")[:-1]
    err = rejection(data)
    assert "UTF-16" in err.reason
    assert "バイナリ" not in err.reason


def test_mixed_encodings_utf8_then_sjis():
    data = "a,b\n日本,語\n".encode() + "東京,都\n".encode("cp932")
    err = rejection(data)
    assert "混在" in err.reason
    assert err.line == 3


def test_mixed_encodings_sjis_then_utf8():
    data = "a,b\n東京,都\n".encode("cp932") + "日本,語\n".encode()
    err = rejection(data)
    assert "混ざって" in err.reason or "判別" in err.reason
    assert err.line == 3


def test_bom_in_the_middle_means_glued_files():
    data = TEXT.encode("utf-8") + b"\xef\xbb\xbf" + TEXT.encode("utf-8")
    err = rejection(data)
    assert "BOM" in err.reason
    assert err.line == 3


def test_undecodable_bytes():
    err = rejection(b"a,b\n1,2\n\x85\x40\x81\x20,x\n")
    assert "判別できません" in err.reason
    assert err.line == 3


def test_message_names_the_file_and_line():
    err = rejection(b"a,b\n\x00")
    assert err.message("isa.csv").startswith("ファイル「isa.csv」、2行目")
