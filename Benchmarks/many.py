"""Many instances at once: `ceauth verify --all` over 50 instances against a Cloud Elements
that answers each request after 100 ms (fakes.py --get-delay 0.1), side by side in one run with
the loop a user would write instead: for each instance, the same two requests with curl, one
after another. Prints medians and the ratio; targets: at most 1.5 s, and at least 8x faster.

Usage (Scripts/bench runs it): many.py [--ceauth PATH] [--runs N] [--instances N]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import SECRETS  # noqa: E402

LOOP = r'''
set -e
for id in $IDS; do
  token=$(jq -r --argjson id "$id" '.instances[] | select(.id == $id) | .token' "$KEYFILE")
  curl -fsS -o /dev/null -H "Authorization: User $CEAUTH_USER_SECRET, Organization $CEAUTH_ORG_SECRET" "$BASE/instances/$id"
  curl -fsS -o /dev/null -H "Authorization: User $CEAUTH_USER_SECRET, Organization $CEAUTH_ORG_SECRET, Element $token" "$BASE/hubs/general/ping"
done
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ceauth", default=os.path.join(HERE, "..", "dist", "ceauth"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ceauth-many-") as work:
        port_file = os.path.join(work, "port")
        fakes = subprocess.Popen([sys.executable, os.path.join(HERE, "fakes.py"), port_file, "--get-delay", str(args.delay)])
        try:
            deadline = time.time() + 10
            while not os.path.exists(port_file):
                if time.time() > deadline:
                    raise SystemExit("many: the fakes did not start")
                time.sleep(0.02)
            base = "http://127.0.0.1:%s/elements/api-v2" % open(port_file).read()
            keyfile = os.path.join(work, "keys.json")
            ids = [500000 + i for i in range(args.instances)]
            entries = [{"name": "n%d" % i, "id": id, "token": "INSTANCETOKEN-bench-%d" % id, "element": "gmail",
                        "baseUrl": base, "created": "2026-12-01T12:00:00Z"} for i, id in enumerate(ids)]
            with open(keyfile, "w") as f:
                json.dump({"instances": entries}, f)
            os.chmod(keyfile, 0o600)
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "LANG": "C.UTF-8",
                   "KEYFILE": keyfile, "BASE": base, "IDS": " ".join(map(str, ids))}
            env.update(SECRETS)
            commands = {"ceauth verify --all": [os.path.abspath(args.ceauth), "verify", "--all", "--keyfile", keyfile],
                        "curl loop": ["bash", "-c", LOOP]}
            times = {name: [] for name in commands}
            for _ in range(args.runs):  # A/B alternating
                for name, command in commands.items():
                    start = time.perf_counter()
                    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
                    times[name].append(time.perf_counter() - start)
                    if done.returncode != 0:
                        raise SystemExit("many: %s failed (%d): %s" % (name, done.returncode, done.stderr.decode()[-800:]))
        finally:
            fakes.kill()
            fakes.wait()
    ceauth, loop = (statistics.median(times[name]) for name in commands)
    print("%d instances, each request answered after %.0f ms; %d runs A/B, medians" % (args.instances, args.delay * 1000, args.runs))
    print()
    print("| | ceauth verify --all | curl loop | loop / ceauth |")
    print("|---|---|---|---|")
    print("| wall time | %.2f s | %.2f s | %.1fx |" % (ceauth, loop, loop / ceauth))
    print()
    print("target %-34s %s" % ("verify --all <= 1.5 s", "met" if ceauth <= 1.5 else "NOT met"))
    print("target %-34s %s" % (">= 8x faster than the loop", "met" if loop >= 8 * ceauth else "NOT met"))


if __name__ == "__main__":
    main()
