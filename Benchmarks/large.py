"""A keyfile of 10,000 entries (about 2.5 MB): `ceauth token|header|show|list` side by side in one
run with `jq -r` doing the same lookup, and each command's peak memory above the process's
baseline (`ceauth --version`). Targets: at most 25 ms and less than jq; peak memory at most 3x
the file's size above the baseline.

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
    print()
    print("target %-34s %s" % ("each at most 25 ms", "met" if met_time else "NOT met"))
    print("target %-34s %s" % ("each less than jq", "met" if met_jq else "NOT met"))
    print("target %-34s %s" % ("peak at most 3x the file", "met" if met_memory else "NOT met"))


if __name__ == "__main__":
    main()
