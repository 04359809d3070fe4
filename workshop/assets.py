"""Front-end files for running the workshop with no internet.

Solara's page loads its JavaScript and CSS from ``<cdn>/<package>@<version>/<file>``. Solara's server
acts as a proxy for those files: it serves them from a cache folder
(``solara.server.settings.assets.proxy_cache_dir``, by default ``<venv>/share/solara/cdn``) and only
goes to the CDN (jsdelivr) for a file that is not there. In a room without internet a missing file
means a blank page, so :func:`prepare` fills that folder ahead of time from the npm registry (the same
packages the CDN serves): each tarball is downloaded from the registry and checked against the
registry's integrity hash (falling back to ``npm pack`` if the registry cannot be reached directly).

The packages are the ones named in solara's page template (``solara/server/templates/solara.html.j2``:
``{{cdn}}/@widgetti/solara-vuetify-app@10.1.1/...``, ``requirejs@2.3.6``, the font-awesome path in
``solara.server.settings.assets.fontawesome_path``). :func:`required_packages` reads them from the
installed template, so a solara upgrade that changes a version is picked up.

Command line::

    python -m workshop.assets prepare   # fill the cache (needs the npm registry, once per laptop)
    python -m workshop.assets check     # exit 0 if every file the page needs is in the cache
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# The files the page template asks for, relative to the package folder. Checked by check(); the
# rest of each package (fonts referenced from CSS, lazily loaded chunks) is copied whole.
_KEY_FILES = {
    "@widgetti/solara-vuetify-app": ("dist/main8.css", "dist/fonts.css", "dist/solara-vuetify-app8.min.js",
                                     "dist/solara-vuetify-app8.js"),
    "requirejs": ("require.js",),
    "font-awesome": ("css/font-awesome.min.css",),
}

DEFAULT_REGISTRY = "https://registry.npmjs.org"

_CDN_REF = re.compile(r"\{\{\s*cdn\s*\}\}/(@?[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)?)@(\d+\.\d+\.\d+)/")


@dataclass(frozen=True, slots=True)
class Package:
    name: str  # npm name, e.g. "@widgetti/solara-vuetify-app"
    version: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


def cache_dir() -> Path:
    """The folder solara's server serves ``/_solara/cdn/`` from."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def _uses_vue3() -> bool:
    try:
        import ipyvue

        return int(ipyvue.__version__.split(".")[0]) >= 3
    except (ImportError, ValueError, AttributeError):
        return False


def required_packages() -> list[Package]:
    """The npm packages (with exact versions) solara's page template loads through its CDN proxy."""
    import solara.server.settings as settings

    template = Path(settings.__file__).parent / "templates" / "solara.html.j2"
    found: dict[str, str] = {}
    for name, version in _CDN_REF.findall(template.read_text()):
        # the template names both the vue2 and vue3 front ends; only one is used
        is_vue3_app = name.endswith("solara-vuetify3-app")
        if is_vue3_app != _uses_vue3() and "solara-vuetify" in name:
            continue
        found[name] = version
    fa = _CDN_REF.match("{{cdn}}" + settings.assets.fontawesome_path.rstrip("/").rsplit("/css/", 1)[0] + "/")
    if fa:
        found[fa.group(1)] = fa.group(2)
    return [Package(n, v) for n, v in sorted(found.items())]


def missing_files(directory: Path | None = None) -> list[str]:
    """Files the page needs that are not in the cache (empty when ready for an offline room)."""
    directory = directory or cache_dir()
    missing = []
    for pkg in required_packages():
        files = _KEY_FILES.get(pkg.name, ("package.json",))
        if pkg.name == "@widgetti/solara-vuetify-app" and _uses_vue3():
            files = ("package.json",)
        for rel in files:
            path = directory / pkg.spec / rel
            if not path.is_file():
                missing.append(f"{pkg.spec}/{rel}")
    return missing


def registry_url() -> str:
    """The npm registry to download from (``NPM_CONFIG_REGISTRY`` if set, as npm itself does)."""
    return os.environ.get("NPM_CONFIG_REGISTRY", os.environ.get("npm_config_registry", DEFAULT_REGISTRY)).rstrip("/")


def _download(pkg: Package, tmp: Path) -> Path:
    """Download a package's tarball from the npm registry and check it against the registry's
    sha512 integrity hash."""
    name = pkg.name.replace("/", "%2F")
    with urllib.request.urlopen(f"{registry_url()}/{name}/{pkg.version}", timeout=60) as r:
        meta = json.load(r)
    dist = meta["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=300) as r:
        data = r.read()
    integrity = dist.get("integrity", "")
    if integrity.startswith("sha512-"):
        digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
        if digest != integrity.removeprefix("sha512-"):
            raise RuntimeError(f"{pkg.spec}: the download does not match the registry's integrity hash")
    elif dist.get("shasum") and hashlib.sha1(data).hexdigest() != dist["shasum"]:
        raise RuntimeError(f"{pkg.spec}: the download does not match the registry's checksum")
    path = tmp / f"{pkg.spec.replace('/', '-').replace('@', '')}.tgz"
    path.write_bytes(data)
    return path


def _npm_pack(pkg: Package, tmp: Path) -> Path:
    """The same tarball through the npm client (used when the registry cannot be reached directly,
    e.g. behind a proxy that only npm is configured for)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed")
    out = subprocess.run([npm, "pack", pkg.spec, "--silent", "--pack-destination", str(tmp)],
                         capture_output=True, text=True, cwd=tmp)
    if out.returncode != 0:
        raise RuntimeError(f"npm pack {pkg.spec} failed: {' '.join(out.stderr.strip().splitlines()[-1:])}")
    return tmp / out.stdout.strip().splitlines()[-1]


def _unpack(tarball: Path, dest: Path) -> None:
    """Extract an npm tarball's ``package/`` folder into ``dest`` (replacing it atomically)."""
    tmp = dest.parent / f".{dest.name}.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            if not (member.isfile() or member.isdir()):
                continue  # no links or devices from a tarball
            parts = Path(member.name).parts
            if not parts or parts[0] != "package" or ".." in parts:
                continue
            rel = Path(*parts[1:]) if len(parts) > 1 else None
            if rel is None:
                continue
            target = tmp / rel
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(member)
            assert src is not None
            target.write_bytes(src.read())
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)


def prepare(directory: Path | None = None, *, force: bool = False, log=print) -> list[Package]:
    """Download every required package from the npm registry into solara's CDN cache folder."""
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    packages = required_packages()
    with tempfile.TemporaryDirectory(prefix="workshop-npm-") as tmp:
        for pkg in packages:
            dest = directory / pkg.spec
            if dest.is_dir() and not force and (dest / "package.json").is_file():
                log(f"already there: {pkg.spec}")
                continue
            log(f"fetching {pkg.spec} from the npm registry")
            try:
                tarball = _download(pkg, Path(tmp))
            except (OSError, KeyError, ValueError) as e:
                log(f"direct download failed ({e}); trying npm")
                try:
                    tarball = _npm_pack(pkg, Path(tmp))
                except RuntimeError as e2:
                    raise RuntimeError(f"could not fetch {pkg.spec}: {e}; {e2}") from None
            dest.parent.mkdir(parents=True, exist_ok=True)
            _unpack(tarball, dest)
    return packages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop.assets",
                                     description="Prepare the workshop app's front-end files for offline use.")
    parser.add_argument("action", choices=["prepare", "check", "where"])
    parser.add_argument("--force", action="store_true", help="download again even if present")
    args = parser.parse_args(argv)
    if args.action == "where":
        print(cache_dir())
        return 0
    if args.action == "prepare":
        try:
            prepare(force=args.force)
        except RuntimeError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    missing = missing_files()
    if missing:
        print(f"not ready for offline use; missing in {cache_dir()}: {', '.join(missing)}", file=sys.stderr)
        print("run: python -m workshop.assets prepare", file=sys.stderr)
        return 1
    print(f"ready for offline use: {', '.join(p.spec for p in required_packages())} in {cache_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
