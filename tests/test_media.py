"""Images from every kind of input: sniffed, size-checked, refused with a fix."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from PIL import Image

from tests.images import jpeg_bytes, pil_image, png_bytes, webp_bytes, write_image, write_png
from veo_magic._exceptions import VeoInputError
from veo_magic.requests.images import (
    DEFAULT_MAX_IMAGE_BYTES,
    ImageInput,
    load_image,
    max_image_bytes,
    sniff_mime,
)


def load(value: object, field: str = "first_frame", role: str = "first_frame") -> ImageInput:
    return load_image(value, role=role, field=field)


def refused(value: object, field: str = "first_frame") -> VeoInputError:
    with pytest.raises(VeoInputError) as info:
        load(value, field=field)
    assert info.value.field == field
    return info.value


@pytest.mark.parametrize(
    ("make", "mime"),
    [
        (png_bytes, "image/png"),
        (jpeg_bytes, "image/jpeg"),
        (webp_bytes, "image/webp"),
    ],
)
def test_bytes_are_sniffed(make, mime: str) -> None:
    data = make()
    image = load(data)
    assert (image.mime, image.data, image.source, image.url) == (mime, data, "bytes", None)
    assert sniff_mime(data) == mime


def test_bytearray_and_memoryview() -> None:
    data = png_bytes()
    assert load(bytearray(data)).data == data
    assert load(memoryview(data)).data == data


def test_local_path_as_str_and_pathlike(tmp_path: Path) -> None:
    path = write_png(tmp_path / "start.png", 32, 18)
    for given in (str(path), path):
        image = load(given)
        assert image.mime == "image/png"
        assert image.data == path.read_bytes()
        assert image.source == str(path)


def test_relative_path_and_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_image(tmp_path / "frames" / "a.jpg", jpeg_bytes())
    monkeypatch.chdir(tmp_path)
    assert load("frames/a.jpg").mime == "image/jpeg"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load("~/frames/a.jpg").source == "~/frames/a.jpg"


def test_the_extension_does_not_decide_the_type(tmp_path: Path) -> None:
    path = write_image(tmp_path / "photo.png", jpeg_bytes())  # mislabelled
    image = load(path)
    assert image.mime == "image/jpeg" and image.filename == "first_frame.jpg"


def test_http_url_is_kept_by_reference() -> None:
    url = "https://cdn.example.com/frames/start.png?sig=abc"
    image = load(url)
    assert (image.url, image.mime, image.data, image.source) == (url, None, None, url)
    assert image.as_url() == url


def test_data_url_base64_is_decoded() -> None:
    data = webp_bytes()
    url = "data:image/webp;base64," + base64.b64encode(data).decode()
    image = load(url)
    assert (image.mime, image.data, image.source) == ("image/webp", data, "data URL")
    assert image.data_url() == url


def test_data_url_round_trips_and_mislabel_is_sniffed() -> None:
    data = png_bytes()
    mislabelled = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    assert load(mislabelled).mime == "image/png"
    percent = "data:image/png," + quote_from_bytes(data)
    assert load(percent).data == data
    assert load(load(png_bytes()).data_url()).data == data


def test_pil_image_is_encoded_as_png() -> None:
    image = load(pil_image(40, 30, (1, 2, 3)))
    assert image.mime == "image/png" and image.source == "PIL image 40x30"
    assert image.data is not None
    with Image.open(__import__("io").BytesIO(image.data)) as decoded:
        assert decoded.size == (40, 30) and decoded.getpixel((0, 0)) == (1, 2, 3)


@pytest.mark.parametrize("mode", ["CMYK", "P", "RGBA", "L", "YCbCr"])
def test_pil_modes_png_cannot_hold_are_converted(mode: str) -> None:
    image = load(Image.new(mode, (8, 8)))
    assert image.mime == "image/png"


def test_image_input_is_passed_through_with_its_new_role() -> None:
    first = load(png_bytes())
    again = load_image(first, role="reference", field="references[0]")
    assert again.role == "reference" and again.data == first.data


def test_roles_and_describe_are_json_safe() -> None:
    image = load_image(png_bytes(), role="last_frame", field="last_frame")
    record = image.describe()
    json.dumps(record)
    assert record["role"] == "last_frame" and record["bytes"] == len(png_bytes())
    assert len(str(record["sha256"])) == 16


def test_repr_does_not_dump_the_bytes() -> None:
    image = load(png_bytes(1024, 1024))
    assert "\\x89PNG" not in repr(image) and len(repr(image)) < 200


# -- refusals ------------------------------------------------------------------------------------


def test_text_file_is_not_an_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes.txt").write_text("remember the milk\n")
    monkeypatch.chdir(tmp_path)
    err = refused("notes.txt")
    assert str(err) == (
        "first_frame='notes.txt' is not an image (found text/plain-looking bytes); "
        "allowed: PNG, JPEG, WebP"
    )
    assert err.value == "notes.txt" and err.allowed == ("PNG", "JPEG", "WebP")


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"GIF89a" + b"\x00" * 20, "a GIF image"),
        (b"BM" + b"\x00" * 20, "a BMP image"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 8, "a HEIC image"),
        (b"\x00\x00\x00\x18ftypisom" + b"\x00" * 8, "an MP4/QuickTime video"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG/XML text"),
        ("日本語のテキスト".encode() * 40, "text/plain-looking bytes"),  # cut mid-character at 512
        (b"\x00\x01\x02\x03\xfe", "unrecognised binary data starting 00 01 02 03"),
        (b"", "no bytes at all"),
    ],
)
def test_sniffing_names_what_it_found(data: bytes, found: str) -> None:
    err = refused(data, field="references[1]")
    assert f"references[1]='bytes' is not an image (found {found}" in str(err)
    assert "allowed: PNG, JPEG, WebP" in str(err)


def test_gif_message_says_how_to_convert() -> None:
    assert "convert it" in str(refused(b"GIF89a" + b"\x00" * 20))


def test_missing_file_names_the_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    err = refused("frames/nope.png", field="last_frame")
    assert repr(str(tmp_path / "frames" / "nope.png")) in str(err)
    assert "no such file" in str(err) and "'frames/nope.png'" in str(err)


def test_directory_is_refused(tmp_path: Path) -> None:
    assert "is a directory" in str(refused(str(tmp_path)))


def test_size_cap_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert max_image_bytes() == DEFAULT_MAX_IMAGE_BYTES == 20 * 1024 * 1024
    monkeypatch.setenv("VEO_MAX_IMAGE_BYTES", "100")
    data = png_bytes(256, 256)
    assert len(data) > 100
    for value in (data, write_image(tmp_path / "big.png", data)):
        err = refused(value)
        assert "the limit is 100 bytes" in str(err) and "VEO_MAX_IMAGE_BYTES" in str(err)
        assert f"{len(data)} bytes" in str(err) or "KiB" in str(err)
    monkeypatch.setenv("VEO_MAX_IMAGE_BYTES", str(len(data)))
    assert load(data).data == data  # exactly at the cap is fine


def test_default_cap_reports_mib() -> None:
    big = png_bytes() + b"\x00" * DEFAULT_MAX_IMAGE_BYTES
    err = refused(big)
    assert "is 20.0 MiB; the limit is 20.0 MiB" in str(err)


@pytest.mark.parametrize("raw", ["lots", "-5", "0"])
def test_bad_size_cap_setting(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("VEO_MAX_IMAGE_BYTES", raw)
    err = refused(png_bytes(), field="VEO_MAX_IMAGE_BYTES")
    assert repr(raw) in str(err)


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("ftp://example.com/a.png", "ftp"),
        ("file:///tmp/a.png", "file"),
        ("s3://bucket/a.png", "s3"),
    ],
)
def test_other_url_schemes_are_refused(url: str, scheme: str) -> None:
    err = refused(url)
    assert f"{url!r} uses the {scheme}:// scheme" in str(err)
    assert "allowed: http, https, data" in str(err)
    assert err.allowed == ("http", "https", "data")


def test_file_url_hint_gives_the_path() -> None:
    assert "give its path, e.g. '/tmp/a.png'" in str(refused("file:///tmp/a.png"))


@pytest.mark.parametrize("url", ["https://", "http://exa mple.com/a.png"])
def test_malformed_http_urls(url: str) -> None:
    assert "not a valid http(s) URL" in str(refused(url))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("data:image/png;base64", "no comma"),
        ("data:image/png;base64,@@@notbase64@@@", "does not decode"),
    ],
)
def test_bad_data_urls(url: str, words: str) -> None:
    assert words in str(refused(url))


@pytest.mark.parametrize("value", [42, 3.5, ["a.png"], {"url": "x"}, ""])
def test_other_types_are_refused(value: object) -> None:
    err = refused(value)
    assert "allowed: a path, an http(s) URL, a data: URL, bytes or a PIL image" in str(err)


def test_windows_drive_path_is_a_path_not_a_scheme(tmp_path: Path) -> None:
    err = refused("C:\\frames\\start.png")
    assert "no such file" in str(err)


def test_importing_media_does_not_import_pil() -> None:
    code = "import sys, veo_magic.requests.images, veo_magic.requests.request; print('PIL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
