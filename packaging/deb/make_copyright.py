"""Writes the Debian package's copyright file (machine-readable format 1.0): ssrd's own paragraphs
(copyright.in), then one paragraph for each piece of code from elsewhere that is built into the
programs, with its licence text taken from the file it came with:

- the npm packages the worker's web runtime bundles: the non-development packages of
  isolates/web/package-lock.json, with the LICENSE file each has in node_modules;
- the header-only C++ libraries from Debian: the "Files: *" paragraph of each package's own
  copyright file, with the text of its licence from the same file.

Fails (exit 1, naming what is missing) rather than write an incomplete file.
Usage: make_copyright.py SOURCE_DIR OUTPUT
"""
import glob
import json
import os
import re
import sys

# Header-only libraries compiled into ssrd, ssrctl or ssrd-worker, by Debian package.
DEBIAN_HEADER_LIBRARIES = {
    "libcli11-dev": "/usr/include/CLI/*",
    "libmsgpack-cxx-dev": "/usr/include/msgpack/* /usr/include/msgpack.hpp",
    "nlohmann-json3-dev": "/usr/include/nlohmann/*",
}


def fail(message):
    print(f"make_copyright.py: {message}", file=sys.stderr)
    sys.exit(1)


def as_field_text(text):
    """Licence text as the continuation lines of a field: indented, empty lines as ' .'."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return "\n".join(" " + line if line.strip() else " ." for line in lines)


def npm_paragraphs(source_dir):
    web = os.path.join(source_dir, "isolates", "web")
    with open(os.path.join(web, "package-lock.json"), encoding="utf-8") as f:
        packages = json.load(f)["packages"]
    paragraphs = []
    for path, meta in sorted(packages.items()):
        if not path or meta.get("dev"):
            continue  # the root project, and build tools such as esbuild
        licence_files = sorted(glob.glob(os.path.join(web, path, "LICEN[CS]E*")))
        if not licence_files or "license" not in meta:
            fail(f"no licence file or licence name for {path} (run scripts/setup: npm ci)")
        with open(licence_files[0], encoding="utf-8") as f:
            text = f.read()
        holders = [re.sub(r"^Copyright\s*(\(c\)|©)?\s*", "", line.strip(), flags=re.I)
                   for line in text.splitlines()
                   if re.match(r"\s*Copyright\s", line, flags=re.I)]
        if not holders:
            fail(f"no copyright line in {licence_files[0]}")
        paragraphs.append(
            f"Files: isolates/web/{path}/*\n"
            f"Copyright: {holders[0]}\n"
            f"Comment: npm package {path.split('node_modules/')[-1]} {meta['version']}, bundled into"
            f" ssrd-worker's web runtime\n"
            f"License: {meta['license']}\n{as_field_text(text)}")
    return paragraphs


def dep5_paragraphs(text):
    """The paragraphs of a machine-readable copyright file as lists of (field, value) pairs."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        fields = []
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and fields:
                fields[-1] = (fields[-1][0], fields[-1][1] + "\n" + line)
            elif ":" in line:
                name, value = line.split(":", 1)
                fields.append((name.strip(), value.strip()))
        paragraphs.append(fields)
    return paragraphs


def debian_paragraphs():
    paragraphs = []
    for package, files in DEBIAN_HEADER_LIBRARIES.items():
        path = f"/usr/share/doc/{package}/copyright"
        if not os.path.exists(path):
            fail(f"{path} is missing (run scripts/setup)")
        with open(path, encoding="utf-8") as f:
            parsed = [dict(p) for p in dep5_paragraphs(f.read())]
        main = next((p for p in parsed if p.get("Files") == "*"), None)
        if main is None or "License" not in main:
            fail(f"{path} has no 'Files: *' paragraph with a licence")
        name = main["License"].split("\n")[0].strip()
        text = main["License"].split("\n", 1)[1] if "\n" in main["License"] else None
        if text is None:
            standalone = next((p for p in parsed if "Files" not in p
                               and p.get("License", "").split("\n")[0].strip() == name
                               and "\n" in p["License"]), None)
            if standalone is None:
                fail(f"{path} has no text for the licence {name}")
            text = standalone["License"].split("\n", 1)[1]
        paragraphs.append(
            f"Files: {files}\n"
            f"Copyright: {main.get('Copyright', 'see ' + path)}\n"
            f"Comment: from Debian's {package}, compiled into the programs\n"
            f"License: {name}\n{text}")
    return paragraphs


def main():
    if len(sys.argv) != 3:
        fail("usage: make_copyright.py SOURCE_DIR OUTPUT")
    source_dir, output = sys.argv[1], sys.argv[2]
    with open(os.path.join(source_dir, "packaging", "deb", "copyright.in"), encoding="utf-8") as f:
        head = f.read().strip()
    body = "\n\n".join([head] + npm_paragraphs(source_dir) + debian_paragraphs()) + "\n"
    with open(output, "w", encoding="utf-8") as f:
        f.write(body)


if __name__ == "__main__":
    main()
