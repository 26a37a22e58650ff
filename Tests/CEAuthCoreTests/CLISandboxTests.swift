import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// `ceauth sandbox` and `--sandbox`: the emulators shipped in the product, used as a new user
/// (no accounts) and as a script would.
extension CLITests {
    /// The environment of a machine with no secrets at all: only where the keyfile goes.
    func bareEnvironment(_ harness: LoginHarness) -> [String: String] {
        harness.environment.filter { !$0.key.hasPrefix("CEAUTH_") }
    }

    @Test func sandboxLoginWorksWithNoAccountsThroughTheConsentPage() async throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let run = try await run(["login", "gmail", "--sandbox", "--no-browser", "--json"], environment: bareEnvironment(harness), browser: browser)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // The person saw the element's scopes, with Allow and Deny, before any code existed.
        let consent = try #require(browser.consentPage.current)
        #expect(consent.body.contains("https://mail.google.com/") && consent.body.contains("gmail.settings.basic"))
        #expect(consent.body.contains(">Allow</button>") && consent.body.contains(">Deny</button>"))
        #expect(consent.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        #expect(browser.page.current?.status == 200)
        #expect(browser.page.current?.body.contains("gmail sandbox via ceauth") == true)
        let entry = try #require(harness.keyfileEntries().first)
        let baseURL = try #require(entry["baseUrl"]?.stringValue)
        #expect(baseURL.hasPrefix("http://127.0.0.1:") && baseURL.hasSuffix("/sandbox/elements/api-v2"))
        #expect(KeyfileEntry.isSandboxURL(baseURL))
        #expect(run.stderr.contains("Sandbox: emulated Google at http://127.0.0.1:"))
        #expect(run.stderr.contains("a sandbox instance"))
        // Nothing went to the real fake Cloud Elements of this harness.
        #expect(harness.cloudElements.postCount == 0 && harness.cloudElements.elementChecks.current == 0)
        expectNoSecrets(run)
    }

    @Test func sandboxDenyEndsOnTheFailurePageAndSavesNothing() async throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        browser.consentDecision = "deny"
        let run = try await run(["login", "googlecalendar", "--sandbox", "--no-browser"], environment: bareEnvironment(harness), browser: browser)
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("consent was denied in the browser"))
        #expect(browser.page.current?.status == 400 || browser.page.current?.status == 403 || browser.page.current?.body.contains("denied") == true)
        #expect(harness.keyfileEntries().isEmpty)
    }

    /// A sandbox token never mixes with real ones: --sandbox reaches only sandbox instances (at
    /// this run's emulator), and a real instance is refused before anything is sent.
    @Test func sandboxAndRealInstancesNeverMix() async throws {
        let harness = try LoginHarness()
        let realID = try await loggedIn(harness, name: "real-mail")
        let sandbox = try await run(["login", "gmail", "--sandbox", "--no-browser", "--json", "--name", "play-mail"],
                              environment: bareEnvironment(harness), browser: TestBrowser())
        #expect(sandbox.status == 0, "stderr: \(sandbox.stderr)")
        let sandboxID = try #require(try JSONValue.parse(Data(sandbox.stdout.utf8))["id"]?.integerValue)
        #expect(sandboxID >= 900_000_001, "sandbox ids are apart from the ids a real service hands out")
        harness.cloudElements.calls.with { $0 = [] }

        // The sandbox instance, checked by a later run's emulator (it adopts the keyfile's entry).
        let verified = try await run(["verify", "--sandbox", "play-mail", "--json"], environment: bareEnvironment(harness))
        #expect(verified.status == 0, "stderr: \(verified.stderr)")
        #expect(try JSONValue.parse(Data(verified.stdout.utf8))["works"] == .bool(true))

        // Its header carries the sandbox's published secrets, with no emulator started for it.
        let header = try await run(["header", "--sandbox", "play-mail"], environment: bareEnvironment(harness))
        #expect(header.status == 0, "stderr: \(header.stderr)")
        #expect(header.stdout.hasPrefix("User \(SandboxSecrets.user), Organization \(SandboxSecrets.org), Element INSTANCETOKEN-"))
        #expect(!header.stderr.contains("Sandbox: emulated"))

        // A real instance under --sandbox: refused, nothing sent anywhere.
        for arguments in [["verify", "--sandbox", "real-mail"], ["token", "--sandbox", "real-mail"],
                          ["delete", "--sandbox", "real-mail", "--yes"], ["header", "--sandbox", "\(realID)"]] {
            let refused = try await run(arguments, environment: harness.environment)
            #expect(refused.status == 64, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains("is a real instance, not a sandbox one; run without --sandbox"), "\(arguments)")
        }
        #expect(harness.cloudElements.calls.current.isEmpty)

        // --all with --sandbox checks the sandbox's only; list --sandbox shows only them.
        let all = try await run(["verify", "--all", "--sandbox", "--json"], environment: bareEnvironment(harness))
        #expect(all.status == 0, "stderr: \(all.stderr)")
        #expect(try JSONValue.parse(Data(all.stdout.utf8)).arrayValue?.count == 1)
        let listed = try await run(["list", "--sandbox", "--json"], environment: bareEnvironment(harness))
        #expect(try JSONValue.parse(Data(listed.stdout.utf8)).arrayValue?.map { $0["name"] } == [.string("play-mail")])
        let remote = try await run(["list", "--remote", "--sandbox", "--json"], environment: bareEnvironment(harness))
        #expect(remote.status == 0, "stderr: \(remote.stderr)")
        #expect(try JSONValue.parse(Data(remote.stdout.utf8)).arrayValue?.first?["inKeyfile"] == .bool(true))
        #expect(harness.cloudElements.calls.current.isEmpty)

        // The real one still works where it lives; the sandbox one is deleted at the sandbox.
        #expect(try await run(["verify", "real-mail"], environment: harness.environment).status == 0)
        let deleted = try await run(["delete", "--sandbox", "\(sandboxID)", "--yes"], environment: bareEnvironment(harness))
        #expect(deleted.status == 0, "stderr: \(deleted.stderr)")
        #expect(harness.keyfileEntries().map { $0["name"] } == [.string("real-mail")])
        #expect(!harness.cloudElements.calls.current.contains { $0.hasPrefix("DELETE") })
    }

    @Test func sandboxRefusesFlagsThatPointElsewhere() async throws {
        let harness = try LoginHarness()
        for arguments in [["login", "gmail", "--sandbox", "--base-url", "https://api.cloud-elements.com/elements/api-v2"],
                          ["login", "gmail", "--sandbox", "--env", "eu"], ["login", "gmail", "--sandbox", "--update", "x"],
                          ["list", "--remote", "--sandbox", "--env", "eu"]] {
            let run = try await run(arguments, environment: bareEnvironment(harness))
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("--sandbox"))
        }
    }

    /// `ceauth sandbox` for a script: prints the environment, serves a login with no person
    /// (--consent allow), keeps the instance for later commands, and stops cleanly on Ctrl-C.
    @Test func sandboxServerServesScriptsUntilCtrlC() async throws {
        let harness = try LoginHarness()
        let directory = TemporaryDirectory()
        var server: Process?
        var port: UInt16 = 0
        var exports = ""
        // Two ports in a row must be free: take a free one, and try again if its neighbour is not.
        for _ in 0..<5 where server == nil {
            let probe = try Socket.listen(host: "127.0.0.1", port: 0)
            port = try probe.localPort()
            probe.close()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLITests.binary)
            process.arguments = ["sandbox", "--consent", "allow", "--port", "\(port)"]
            process.environment = ["PATH": "/usr/bin:/bin"]
            let out = directory.path + "/out-\(port)"
            _ = FileManager.default.createFile(atPath: out, contents: nil)
            _ = FileManager.default.createFile(atPath: directory.path + "/err", contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.path + "/err"))
            try process.run()
            let deadline = monotonicSeconds() + 10
            while process.isRunning && monotonicSeconds() < deadline {
                exports = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
                if exports.contains("CEAUTH_CLIENT_SECRET") { break }
                usleep(20_000)
            }
            if process.isRunning { server = process } else { process.waitUntilExit() }
        }
        let running = try #require(server)
        defer { if running.isRunning { running.terminate() } }
        // The environment a shell would source.
        var environment = bareEnvironment(harness)
        for line in exports.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst(7)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            environment[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...].dropFirst().dropLast())
        }
        #expect(environment["CEAUTH_BASE_URL"] == "http://127.0.0.1:\(port + 1)/sandbox/elements/api-v2")
        #expect(environment["CEAUTH_AUTHORIZE_URL"] == "http://127.0.0.1:\(port)/o/oauth2/v2/auth")
        #expect(environment["CEAUTH_TOKEN_URL"] != nil && environment["CEAUTH_REVOKE_URL"] != nil)

        // A second sandbox on the same ports fails at once, naming them.
        let clash = try await run(["sandbox", "--port", "\(port)"], environment: ["PATH": "/usr/bin:/bin"], limit: 10)
        #expect(clash.status == 64, "stderr: \(clash.stderr)")
        #expect(clash.stderr.contains("ports \(port) and \(port + 1)"))

        // A plain login (no --sandbox) against the running sandbox; then later commands reach it.
        let login = try await run(["login", "gmail", "--no-browser", "--json", "--name", "ci-mail"], environment: environment, browser: TestBrowser())
        #expect(login.status == 0, "stderr: \(login.stderr)")
        #expect(harness.keyfileEntries().first?["baseUrl"] == .string("http://127.0.0.1:\(port + 1)/sandbox/elements/api-v2"))
        let verified = try await run(["verify", "ci-mail"], environment: environment)
        #expect(verified.status == 0, "stderr: \(verified.stderr)")
        let remote = try await run(["list", "--remote", "--json"], environment: environment)
        #expect(try JSONValue.parse(Data(remote.stdout.utf8)).arrayValue?.count == 1)

        kill(running.processIdentifier, SIGINT)
        let deadline = monotonicSeconds() + 10
        while running.isRunning && monotonicSeconds() < deadline { usleep(10_000) }
        #expect(!running.isRunning)
        running.waitUntilExit()
        #expect(running.terminationStatus == 0)
        #expect(((try? String(contentsOfFile: directory.path + "/err", encoding: .utf8)) ?? "").contains("Sandbox stopped."))
        // Its instances ended with it: the port answers no more.
        #expect((try? Socket.connect(host: "127.0.0.1", port: port + 1)) == nil)
    }
}
