"""The console's front-end assets, vendored: no CDN, no Node build step. Each file is copied
unchanged from a package of the npm registry, pinned by version and sha256 in MANIFEST.json
(beside the files), with the package's licence file next to it.

    python -m console.vendor check        # the files here are the ones the manifest pins
    python -m console.vendor fetch        # fetch each package by version (npm pack), check
                                          # every file's sha256 against the manifest, write them
    python -m console.vendor fetch --pin  # after changing a version: take the new hashes
"""
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "console" / "vendor"
MANIFEST = VENDOR_DIR / "MANIFEST.json"


def manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check() -> list[str]:
    """What differs between the vendored files and the manifest (empty: all as pinned)."""
    problems, pinned = [], set()
    for package in manifest()["packages"]:
        for name, file in package["files"].items():
            pinned.add(name)
            path = VENDOR_DIR / name
            if not path.exists():
                problems.append(f"{name}: missing")
            elif sha256(path.read_bytes()) != file["sha256"]:
                problems.append(f"{name}: sha256 differs from the manifest")
    extra = {p.name for p in VENDOR_DIR.iterdir()} - pinned - {MANIFEST.name}
    problems += [f"{name}: not in the manifest" for name in sorted(extra)]
    return problems


def fetch(pin: bool = False) -> list[str]:
    """Fetch every package by its pinned version from the npm registry and write its files;
    a file whose hash differs from the manifest is refused (or, with `pin`, re-pinned)."""
    data, problems = manifest(), []
    for package in data["packages"]:
        with tempfile.TemporaryDirectory() as tmp:
            tarball = _npm_pack(f"{package['name']}@{package['version']}", tmp)
            with tarfile.open(tarball) as archive:
                for name, file in package["files"].items():
                    content = archive.extractfile("package/" + file["from"]).read()
                    if sha256(content) != file["sha256"] and not pin:
                        problems.append(f"{name}: {package['name']}@{package['version']} "
                                        f"{file['from']} has sha256 {sha256(content)}")
                        continue
                    file["sha256"] = sha256(content)
                    (VENDOR_DIR / name).write_bytes(content)
    if pin:
        MANIFEST.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return problems


def _npm_pack(spec: str, directory: str) -> Path:
    out = subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", directory],
                         check=True, capture_output=True, text=True).stdout.split()
    return Path(directory) / out[-1]


def main(argv) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    problems = fetch(pin="--pin" in argv) if command == "fetch" else check()
    for line in problems:
        print(line, file=sys.stderr)
    print("vendored assets: " + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
