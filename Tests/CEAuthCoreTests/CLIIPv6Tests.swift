import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The binary on a host whose loopback has no IPv4 address, made real with a network
/// namespace (needs root or user namespaces; skipped where neither is available).
extension CLITests {
    @Test func onAHostWithoutIPv4LoopbackTheRedirectComesBackOnIPv6() async throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["unshare", "-n", "sh", "-c", "ip link set lo up && ip addr del 127.0.0.1/8 dev lo && command -v python3"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return }
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            print("skipped: cannot make a network namespace without IPv4 loopback here (unshare -n, ip, python3)")
            return
        }
        // Inside the namespace a "browser" script plays Google: it sends the redirect with a
        // code and the state from the URL to the redirect_uri it was given.
        let directory = TemporaryDirectory()
        let browser = directory.path + "/browser", answer = directory.path + "/answer"
        try writeExecutable("""
        #!/usr/bin/env python3
        import sys, urllib.parse, urllib.request, urllib.error
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(sys.argv[1]).query))
        target = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": "4/0Av6", "state": q["state"]})
        try:
            status = urllib.request.urlopen(target, timeout=10).status
        except urllib.error.HTTPError as e:
            status = e.code
        open("\(answer)", "w").write(q["redirect_uri"] + " " + str(status))

        """, to: browser)
        var env = SandboxSecrets.environment
        env["BROWSER"] = browser
        env["HOME"] = directory.path
        // Nothing answers at this address inside the namespace: the POST cannot connect (exit 5),
        // which shows the redirect was caught and its code handed on.
        env["CEAUTH_BASE_URL"] = "http://localhost:9/elements/api-v2"
        env["CEAUTH_AUTHORIZE_URL"] = "http://[::1]:9/auth"
        let script = "ip link set lo up && ip addr del 127.0.0.1/8 dev lo && exec \"$0\" \"$@\""
        let run = try await run(["unshare", "-n", "sh", "-c", script, Self.binary, "login", "gmail", "--timeout", "20", "--no-preflight"],
                          environment: env, executable: "/usr/bin/env")
        #expect(run.status == 5, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("Waiting for the redirect to http://[::1]:"))
        let seen = try String(contentsOfFile: answer, encoding: .utf8)
        #expect(seen.hasPrefix("http://[::1]:") && seen.hasSuffix(" 400"), "\(seen)")
        expectNoSecrets(run)
    }
}
