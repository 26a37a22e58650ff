"""ceauth side by side with the Python peer (peer.py), in one run, A/B alternating.

Both run against the same fakes (fakes.py, its own process, never measured) with the same
"browser" (browser.c): it detaches at once, fetches the authorization URL and follows the
redirect to the tool's listener, costing next to nothing, as a browser that is already running. Prints medians and peer/ceauth ratios for
  --help, process start to exit;
  a full login, start to exit;
  peak RSS of that login, from outside the process (GNU time %M: a child of this interpreter
  would otherwise inherit its high-water mark);
  CPU seconds (user + system) of a login while Cloud Elements takes 2 s to answer.

Usage (Scripts/bench sets it up): bench.py --peer-python PY [--ceauth PATH] [--also NAME=PATH ...] [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SECRETS = {"CEAUTH_USER_SECRET": "USERSECRET-bench-5f1c9e", "CEAUTH_ORG_SECRET": "ORGSECRET-bench-b2d48c",
           "CEAUTH_CLIENT_ID": "1234-bench.apps.googleusercontent.com", "CEAUTH_CLIENT_SECRET": "CLIENTSECRET-bench-9a7e3d"}


class Fakes:
    def __init__(self, work, ce_delay):
        port_file = os.path.join(work, "port-%s" % ce_delay)
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "fakes.py"), port_file, "--ce-delay", str(ce_delay)])
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            if time.time() > deadline:
                raise SystemExit("bench: the fakes did not start")
            time.sleep(0.02)
        self.base = "http://127.0.0.1:%s" % open(port_file).read()

    def stop(self):
        self.process.kill()
        self.process.wait()


def environment(fakes, work):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "LANG": "C.UTF-8"}
    env.update(SECRETS)
    env.update({"CEAUTH_BASE_URL": fakes.base + "/elements/api-v2", "CEAUTH_AUTHORIZE_URL": fakes.base + "/o/oauth2/v2/auth",
                "CEAUTH_TOKEN_URL": fakes.base + "/token", "BROWSER": os.path.join(work, "browser") + " %s",
                # oauthlib refuses a plain-http token endpoint unless told this is a test.
                "OAUTHLIB_INSECURE_TRANSPORT": "1"})
    return env


def run(command, env, measure):
    """Wall seconds of a direct run; with measure, also peak RSS (MiB) and CPU seconds via GNU time."""
    if not measure:
        start = time.perf_counter()
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit("bench: %s failed (%d): %s" % (command[0], done.returncode, done.stderr.decode()[-800:]))
        return wall
    with tempfile.NamedTemporaryFile("r") as out:
        done = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", out.name] + command, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if done.returncode != 0:
            raise SystemExit("bench: %s failed (%d): %s" % (command[0], done.returncode, done.stderr.decode()[-800:]))
        rss, user, system = open(out.name).read().split()[-3:]
        return int(rss) / 1024, float(user) + float(system)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-python", required=True)
    parser.add_argument("--ceauth", default=os.path.join(HERE, "..", "dist", "ceauth"))
    parser.add_argument("--also", action="append", default=[], help="NAME=PATH: another ceauth build to measure alongside")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--slow-runs", type=int, default=3)
    args = parser.parse_args()

    tools = [("ceauth", [os.path.abspath(args.ceauth)])]
    for item in args.also:
        name, path = item.split("=", 1)
        tools.append((name, [os.path.abspath(path)]))
    tools.append(("peer", [args.peer_python, os.path.join(HERE, "peer.py")]))
    results = {name: {"help": [], "login": [], "rss": [], "cpu": []} for name, _ in tools}

    with tempfile.TemporaryDirectory(prefix="ceauth-bench-") as work:
        browser = os.path.join(work, "browser")
        # A browser that costs next to nothing (browser.c), so each tool's time is its own.
        subprocess.run(["cc", "-O2", "-o", browser, os.path.join(HERE, "browser.c")], check=True)

        def login(name, command, env, measure):
            keyfile = os.path.join(work, "keys-%s.json" % name)
            element = ["googlecalendar"]
            extra = ["login"] + element + ["--keyfile", keyfile, "--json"] if name != "peer" else element + ["--keyfile", keyfile]
            return run(command + extra, env, measure)

        fast = Fakes(work, 0)
        env = environment(fast, work)
        try:
            for _ in range(2):  # warm the page cache for every binary and the peer's imports
                for name, command in tools:
                    run(command + ["--help"], env, False)
                    login(name, command, env, False)
            for _ in range(args.runs):  # A/B alternating, so drift hits both alike
                for name, command in tools:
                    results[name]["help"].append(run(command + ["--help"], env, False))
                    results[name]["login"].append(login(name, command, env, False))
                    rss, _ = login(name, command, env, True)
                    results[name]["rss"].append(rss)
        finally:
            fast.stop()

        slow = Fakes(work, 2.0)
        env = environment(slow, work)
        try:
            for _ in range(args.slow_runs):
                for name, command in tools:
                    _, cpu = login(name, command, env, True)
                    results[name]["cpu"].append(cpu)
        finally:
            slow.stop()

    peer = {key: statistics.median(values) for key, values in results["peer"].items()}
    print("runs: %d A/B (%d with Cloud Elements taking 2 s), medians" % (args.runs, args.slow_runs))
    print()
    header = "| | " + " | ".join(name for name, _ in tools) + " | peer / ceauth |"
    print(header)
    print("|---" * (len(tools) + 2) + "|")
    rows = [("`--help`, start to exit", "help", 1000, "%.1f ms"), ("full login, start to exit", "login", 1000, "%.1f ms"),
            ("peak RSS of the login", "rss", 1, "%.1f MiB"), ("CPU while Cloud Elements takes 2 s", "cpu", 1, "%.3f s")]
    for label, key, scale, form in rows:
        cells = [form % (statistics.median(results[name][key]) * scale) for name, _ in tools]
        ceauth = statistics.median(results["ceauth"][key])
        # GNU time counts CPU in 10 ms steps: a reading of 0 means under 10 ms.
        ratio = "%.1fx" % (peer[key] / ceauth) if ceauth > 0 else "> %.0fx (under 10 ms)" % (peer[key] / 0.01)
        print("| %s | %s | %s |" % (label, " | ".join(cells), ratio))
    print()
    ceauth = {key: statistics.median(values) for key, values in results["ceauth"].items()}
    targets = [("peak RSS <= 1/2 of the peer's", ceauth["rss"] * 2 <= peer["rss"]),
               ("--help >= 20x faster", peer["help"] >= 20 * ceauth["help"]),
               ("full login >= 10x faster", peer["login"] >= 10 * ceauth["login"]),
               ("CPU while waiting 2 s <= 0.05 s", ceauth["cpu"] <= 0.05)]
    for label, met in targets:
        print("target %-34s %s" % (label, "met" if met else "NOT met"))


if __name__ == "__main__":
    main()
