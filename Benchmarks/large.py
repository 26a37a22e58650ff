"""A keyfile of 10,000 entries (about 2.5 MB): `ceauth token|header|show|list` side by side in one
run with `jq -r` doing the same lookup, and each command's peak memory above the process's
baseline (`ceauth --version`). Targets: at most 25 ms and less than jq; peak memory at most 3x
the file's size above the baseline. Then saving a new entry into it: `adopt ID` against the
local fakes (benchmark target: at most 100 ms), beside `token` on the same file.

Usage (Scripts/bench runs it): large.py [--ceauth PATH] [--runs N] [--entries N]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import SECRETS  # noqa: E402

BASE = "https://api.cloud-elements.com/elements/api-v2"


def peak_kib(command, env):
    done = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=60)
    return int(re.findall(rb"(\d+)\s*$", done.stderr)[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ceauth", default=os.path.join(HERE, "..", "dist", "ceauth"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--entries", type=int, default=10000)
    args = parser.parse_args()
    ceauth = os.path.abspath(args.ceauth)
    with tempfile.TemporaryDirectory(prefix="ceauth-large-") as work:
        keyfile = os.path.join(work, "keys.json")
        entries = [{"name": "bot-%05d" % i, "id": 700000 + i, "token": "INSTANCETOKEN%031d" % i, "element": "gmail",
                    "baseUrl": BASE, "created": "2026-12-01T12:00:00Z"} for i in range(args.entries)]
        with open(keyfile, "w") as f:
            json.dump({"instances": entries}, f, indent=2)
        os.chmod(keyfile, 0o600)
        size = os.path.getsize(keyfile)
        last = entries[-1]["name"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "LANG": "C.UTF-8"}
        env.update(SECRETS)
        select = '.instances[] | select(.name == "%s")' % last
        pairs = {
            "token": ([ceauth, "token", last, "--keyfile", keyfile], ["jq", "-r", select + " | .token", keyfile]),
            "header": ([ceauth, "header", last, "--keyfile", keyfile],
                       ["jq", "-r", '%s | "User \\(env.CEAUTH_USER_SECRET), Organization \\(env.CEAUTH_ORG_SECRET), Element \\(.token)"' % select, keyfile]),
            "show": ([ceauth, "show", last, "--keyfile", keyfile], ["jq", "-r", select + ' | "name: \\(.name)\\nid: \\(.id)\\nelement: \\(.element)\\nbaseUrl: \\(.baseUrl)\\ncreated: \\(.created)"', keyfile]),
            "list": ([ceauth, "list", "--keyfile", keyfile],
                     ["jq", "-r", '.instances[] | [.name, .id, .element, (.baseUrl | split("/")[2]), .created] | @tsv', keyfile]),
        }
        times = {name: ([], []) for name in pairs}
        for _ in range(args.runs):  # A/B alternating
            for name, commands in pairs.items():
                for side, command in enumerate(commands):
                    start = time.perf_counter()
                    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
                    times[name][side].append(time.perf_counter() - start)
                    if done.returncode != 0:
                        raise SystemExit("large: %s failed (%d): %s" % (" ".join(command[:2]), done.returncode, done.stderr.decode()[-400:]))
        baseline = min(peak_kib([ceauth, "--version"], env) for _ in range(3))
        peaks = {name: min(peak_kib(pairs[name][0], env) for _ in range(3)) for name in pairs}
        saves = save_times(ceauth, keyfile, work, env, args.runs)
    print("a keyfile of %d entries (%.1f MB); %d runs A/B, medians; peak RSS above `ceauth --version` (%.1f MiB)"
          % (args.entries, size / 1e6, args.runs, baseline / 1024))
    print()
    print("| | ceauth | jq -r | jq / ceauth | ceauth peak above baseline | x file size |")
    print("|---|---|---|---|---|---|")
    met_time = met_jq = met_memory = True
    for name in pairs:
        ours, theirs = (statistics.median(t) * 1000 for t in times[name])
        above = (peaks[name] - baseline) * 1024
        print("| %s | %.1f ms | %.1f ms | %.1fx | %.1f MiB | %.1fx |" % (name, ours, theirs, theirs / ours, above / 2**20, above / size))
        met_time &= ours <= 25
        met_jq &= ours < theirs
        met_memory &= above <= 3 * size
    adopt, token, other = (statistics.median(t) * 1000 for t in saves)
    print()
    print("saving a new entry: `adopt ID` (lookup, GET from the local fakes, lock, read, merge, write, fsync) into the keyfile"
          " as ceauth writes it %.1f ms, `token` on the same file %.1f ms (the save adds %.1f ms); into the generated file"
          " (another layout, rewritten whole) %.1f ms" % (adopt, token, adopt - token, other))
    print()
    print("target %-40s %s" % ("each at most 25 ms", "met" if met_time else "NOT met"))
    print("target %-40s %s" % ("each less than jq", "met" if met_jq else "NOT met"))
    print("target %-40s %s" % ("peak at most 3x the file", "met" if met_memory else "NOT met"))
    print("target %-40s %s" % ("adopt (the whole save) at most 100 ms", "met" if adopt <= 100 else "NOT met"))


def save_times(ceauth, keyfile, work, env, runs):
    """`adopt ID` into a fresh copy of the keyfile each run, against fakes.py's Cloud Elements, with
    `token` on the result beside it."""
    port_file = os.path.join(work, "port")
    fakes = subprocess.Popen([sys.executable, os.path.join(HERE, "fakes.py"), port_file])
    try:
        for _ in range(100):
            if os.path.exists(port_file) and open(port_file).read():
                break
            time.sleep(0.05)
        else:
            raise SystemExit("large: the fakes did not start")
        env = dict(env, CEAUTH_BASE_URL="http://127.0.0.1:%s/elements/api-v2" % open(port_file).read())

        def run(command, times=None):
            start = time.perf_counter()
            done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            if times is not None:
                times.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit("large: %s failed (%d): %s" % (command[1], done.returncode, done.stderr.decode()[-400:]))

        def fresh(source, copy):
            with open(source, "rb") as f, open(copy, "wb") as g:
                g.write(f.read())
            os.chmod(copy, 0o600)

        # A keyfile as ceauth writes it (one save into the generated file lays it out so), and
        # the generated one itself (json.dump's layout: no final line feed), which takes the
        # save's whole way: parse, add, write again.
        written = os.path.join(work, "written.json")
        fresh(keyfile, written)
        run([ceauth, "adopt", "899999", "--keyfile", written])
        copy = os.path.join(work, "adopt.json")
        adopt, token, other = [], [], []
        for index in range(runs):
            fresh(written, copy)
            run([ceauth, "adopt", str(900000 + index), "--keyfile", copy], adopt)
            run([ceauth, "token", "bot-00000", "--keyfile", copy], token)
            fresh(keyfile, copy)
            run([ceauth, "adopt", str(900000 + index), "--keyfile", copy], other)
        return adopt, token, other
    finally:
        fakes.kill()
        fakes.wait()


if __name__ == "__main__":
    main()
