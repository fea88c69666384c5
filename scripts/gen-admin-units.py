#!/usr/bin/env python3
"""Regenerate kyso's administrative-unit data files (the 2025 two-level reform).

Usage:

    # 1. fetch the MIT-licensed source package (the wheel, not its dependencies)
    .venv/bin/pip download vietnamadminunits==1.0.4 --no-deps -d /tmp/vau
    # 2. regenerate data/ from the wheel (or from an unpacked dataset.db)
    python3 scripts/gen-admin-units.py /tmp/vau/vietnamadminunits-1.0.4-py3-none-any.whl
    python3 scripts/gen-admin-units.py path/to/vietnamadminunits/data/dataset.db

Options: --out DIR (default: data/ next to this script's parent).

Only the standard library is used. Output is sorted and byte-stable, so re-running on the
same input gives identical files (check with `git diff --stat data/`).

Files written:

* admin-units-2025.csv       one row per commune (xã, phường, đặc khu): 3,321 rows
  province_code,province_name,commune_code,commune_name,commune_type,lat,lon,area_km2
* admin-provinces-2025.csv   one row per province: 34 rows
  province_code,province_name,lat,lon
* admin-legacy-provinces.csv the 63 pre-2025 provinces (their codes still open every CCCD
  number) and the 2025 province each was merged into
  legacy_code,legacy_name,province_code
* admin-commune-origins-2025.csv  for each 2025 commune, the pre-2025 province that most of
  its former wards/communes belonged to (by count), so that synthetic CCCD numbers of people
  born there carry the right birth-registration code
  commune_code,legacy_province_code
* LICENSE-vietnamadminunits  copied from the wheel when given a wheel

Known defects of the source that this script corrects (and says so on stderr):

* `wardType` disagrees with the name's own prefix for 4 communes (e.g. "Phường Việt Hòa" is
  typed "Xã"). The name is what the National Assembly resolutions use, so the type is taken
  from the name's prefix. The totals (687 phường, 2,621 xã, 13 đặc khu) are unchanged.
* `wardAreaKm2` is missing for 2 communes; area_km2 is left empty for them.
"""

import argparse
import collections
import csv
import io
import json
import os
import sqlite3
import sys
import tempfile
import unicodedata
import zipfile

KINDS = ("Phường", "Xã", "Đặc khu")
DB_IN_WHEEL = "vietnamadminunits/data/dataset.db"
CONVERTER_IN_WHEEL = "vietnamadminunits/data/converter_2025.json"


def fail(msg):
    print(f"gen-admin-units: {msg}", file=sys.stderr)
    sys.exit(1)


def load_inputs(path, workdir):
    """Returns (db_path, converter_json_or_None, license_text_or_None)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            names = wheel.namelist()
            if DB_IN_WHEEL not in names:
                fail(f"{path}: no {DB_IN_WHEEL} inside; is this the vietnamadminunits wheel?")
            db_path = os.path.join(workdir, "dataset.db")
            with open(db_path, "wb") as f:
                f.write(wheel.read(DB_IN_WHEEL))
            converter = json.loads(wheel.read(CONVERTER_IN_WHEEL)) if CONVERTER_IN_WHEEL in names else None
            licence = next((wheel.read(n).decode("utf-8") for n in names if n.endswith("/LICENSE")), None)
            return db_path, converter, licence
    # A bare dataset.db: look for the converter next to it (the unpacked package layout).
    sibling = os.path.join(os.path.dirname(path), "converter_2025.json")
    converter = None
    if os.path.exists(sibling):
        with open(sibling, encoding="utf-8") as f:
            converter = json.load(f)
    return path, converter, None


def nfc(s):
    return unicodedata.normalize("NFC", s.strip())


def num(x, digits):
    """Fixed-precision text so that output does not depend on float repr quirks."""
    return "" if x is None else f"{x:.{digits}f}".rstrip("0").rstrip(".")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="vietnamadminunits wheel (.whl) or its data/dataset.db")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(here), "data"))
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db_path, converter, licence = load_inputs(args.source, tmp)
        db = sqlite3.connect(db_path)
        rows = db.execute(
            "SELECT provinceCode, province, provinceLat, provinceLon, provinceKey,"
            " wardCode, ward, wardType, wardLat, wardLon, wardAreaKm2, wardKey"
            " FROM admin_units"
        ).fetchall()
        legacy = db.execute(
            "SELECT DISTINCT provinceCode, province, provinceKey FROM admin_units_legacy"
        ).fetchall()
        db.close()

    provinces = {}
    communes = []
    key_of_commune = {}
    for (pcode, pname, plat, plon, pkey, wcode, wname, wtype, wlat, wlon, warea, wkey) in rows:
        pcode, wcode, pname, wname = pcode.strip(), wcode.strip(), nfc(pname), nfc(wname)
        if not (len(pcode) == 2 and pcode.isdigit() and len(wcode) == 5 and wcode.isdigit()):
            fail(f"bad code {pcode!r}/{wcode!r}")
        kind = next((k for k in KINDS if wname.startswith(k + " ")), None)
        if kind is None:
            fail(f"{wcode} {wname!r}: name does not start with {' / '.join(KINDS)}")
        if nfc(wtype) != kind:
            print(f"note: {wcode} {wname}: type {wtype!r} in source, {kind!r} from its name",
                  file=sys.stderr)
        if warea is None:
            print(f"note: {wcode} {wname}: no area in source; left empty", file=sys.stderr)
        prev = provinces.setdefault(pcode, (pname, plat, plon, pkey))
        if prev[0] != pname:
            fail(f"province {pcode} has two names: {prev[0]!r}, {pname!r}")
        communes.append((pcode, pname, wcode, wname, kind, wlat, wlon, warea))
        key_of_commune[(pkey, wkey)] = wcode

    codes = [c[2] for c in communes]
    if len(set(codes)) != len(codes):
        fail("commune codes are not unique")
    communes.sort(key=lambda c: (c[0], c[2]))
    counts = collections.Counter(c[4] for c in communes)
    print(f"{len(provinces)} provinces, {len(communes)} communes: {dict(counts)}", file=sys.stderr)

    legacy_by_key = {}
    legacy_rows = []
    for code, name, key in legacy:
        legacy_by_key[key] = code.strip()
        legacy_rows.append([code.strip(), nfc(name)])

    # commune -> Counter(legacy province code) from the converter's old-ward lists
    origins = collections.defaultdict(collections.Counter)
    if converter is not None:
        for pkey, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
            for wkey, olds in wards.items():
                for old in olds:
                    origins[(pkey, wkey)][legacy_by_key[old.split("_")[0]]] += 1
        for pkey, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
            for old, news in olds.items():
                for new in news:
                    origins[(pkey, new["newWardKey"])][legacy_by_key[old.split("_")[0]]] += 1
    else:
        print("note: no converter_2025.json; commune origins and legacy mapping skipped",
              file=sys.stderr)

    province_of = {c[2]: c[0] for c in communes}
    origin_rows = []
    merged_into = collections.defaultdict(collections.Counter)
    for key, wcode in key_of_commune.items():
        counter = origins.get(key)
        if not counter:
            if converter is not None:
                fail(f"commune {wcode}: no former units in converter data")
            continue
        # Most former units; ties go to the lower code so the output is stable.
        best = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        origin_rows.append([wcode, best])
        merged_into[best][province_of[wcode]] += 1
    origin_rows.sort()

    for row in legacy_rows:
        target = merged_into.get(row[0])
        row.append(sorted(target.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if target else "")
    legacy_rows.sort()

    os.makedirs(args.out, exist_ok=True)

    def write(name, header, body):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(body)
        with open(os.path.join(args.out, name), "w", encoding="utf-8", newline="") as f:
            f.write(buf.getvalue())
        print(f"wrote {name}: {len(body)} rows", file=sys.stderr)

    write(
        "admin-units-2025.csv",
        ["province_code", "province_name", "commune_code", "commune_name", "commune_type",
         "lat", "lon", "area_km2"],
        [[p, pn, w, wn, k, num(la, 5), num(lo, 5), num(ar, 2)]
         for (p, pn, w, wn, k, la, lo, ar) in communes],
    )
    write(
        "admin-provinces-2025.csv",
        ["province_code", "province_name", "lat", "lon"],
        [[p, v[0], num(v[1], 5), num(v[2], 5)] for p, v in sorted(provinces.items())],
    )
    if converter is not None:
        write("admin-legacy-provinces.csv", ["legacy_code", "legacy_name", "province_code"],
              legacy_rows)
        write("admin-commune-origins-2025.csv", ["commune_code", "legacy_province_code"],
              origin_rows)
    if licence is not None:
        with open(os.path.join(args.out, "LICENSE-vietnamadminunits"), "w", encoding="utf-8",
                  newline="") as f:
            f.write(licence)
        print("wrote LICENSE-vietnamadminunits", file=sys.stderr)


if __name__ == "__main__":
    main()
