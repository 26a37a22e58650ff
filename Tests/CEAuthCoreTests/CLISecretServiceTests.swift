import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// Issue 18: tokens and secrets in a real Secret Service (GNOME Keyring on a bus of the test's
/// own), checked from outside with secret-tool; never a silent fallback to the keyfile.
extension CLITests {
    func withKeyring(_ harness: LoginHarness, _ keyring: TestKeyring, _ extra: [String: String] = [:]) -> [String: String] {
        harness.environment.merging(keyring.environment) { _, new in new }.merging(extra) { _, new in new }
    }

    @Test func aTokenInTheKeyringServesEveryCommandAndMovesBothWays() async throws {
        let harness = try LoginHarness()
        let keyring = try TestKeyring()
        let env = withKeyring(harness, keyring)
        let login = try await run(["login", "gmail", "--no-browser", "--name", "mail", "--token-store", "secret-service", "--json"],
                                  environment: env, browser: TestBrowser())
        #expect(login.status == 0, "stderr: \(login.stderr)")
        let entry = try #require(harness.keyfileEntries().first)
        let id = try #require(entry["id"]?.integerValue)
        let token = try #require(harness.cloudElements.instances.current[id]?.token)
        // The keyring holds the token; the keyfile says where it is and holds none.
        #expect(try keyring.token(id: id) == token)
        #expect(entry["tokenStore"] == .string("secret-service") && entry["token"] == nil)
        #expect(!keyfileText(harness).contains(token))
        #expect(!login.stderr.contains(token))

        // Every reading command takes it from the keyring.
        let printed = try await run(["token", "mail"], environment: env)
        #expect(printed.status == 0 && printed.stdout == token + "\n", "stderr: \(printed.stderr)")
        let header = try await run(["header", "mail"], environment: env)
        #expect(header.status == 0 && header.stdout.contains("Element \(token)"), "stderr: \(header.stderr)")
        let revealed = try await run(["show", "mail", "--reveal", "--json"], environment: env)
        #expect(revealed.status == 0 && revealed.stdout.contains(token), "stderr: \(revealed.stderr)")
        #expect(revealed.stdout.contains("\"tokenStore\":\"secret-service\""))
        let shown = try await run(["show", "mail"], environment: harness.environment)  // no bus needed without --reveal
        #expect(shown.status == 0 && shown.stdout.contains("token in: the Secret Service"), "stderr: \(shown.stderr)")
        let listed = try await run(["list"], environment: harness.environment)
        #expect(listed.stdout.contains("\tsecret-service"), "\(listed.stdout)")
        let verified = try await run(["verify", "mail"], environment: env)
        #expect(verified.status == 0, "stderr: \(verified.stderr)")
        let status = try await run(["status"], environment: env)
        #expect(status.status == 0, "stderr: \(status.stderr)")
        for done in [verified, status, shown, listed] { expectNoSecrets(done); #expect(!done.stdout.contains(token) && !done.stderr.contains(token)) }

        // A command that needs the token, with no bus: exit 12, naming what is missing.
        let noBus = try await run(["token", "mail"], environment: harness.environment)
        #expect(noBus.status == 12 && noBus.stderr.contains("DBUS_SESSION_BUS_ADDRESS") && noBus.stdout.isEmpty, "\(noBus.stderr)")

        // Back to the keyfile: the entry holds the token again, the keyring item is gone.
        let back = try await run(["keyfile", "move-tokens", "--to", "keyfile"], environment: env)
        #expect(back.status == 0, "stderr: \(back.stderr)")
        #expect(harness.keyfileEntries().first?["token"] == .string(token) && harness.keyfileEntries().first?["tokenStore"] == nil)
        #expect(try keyring.token(id: id) == nil)
        // And into the keyring again; then delete takes it from there too.
        let again = try await run(["keyfile", "move-tokens", "--to", "secret-service", "mail"], environment: env)
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(try keyring.token(id: id) == token && !keyfileText(harness).contains(token))
        // Forgotten locally (its token leaves the keyring with it), then adopted into the keyring.
        let forgotten = try await run(["delete", "mail", "--local-only", "--yes"], environment: env)
        let left = try keyring.token(id: id)
        #expect(forgotten.status == 0 && left == nil, "stderr: \(forgotten.stderr)")
        let adopted = try await run(["adopt", String(id), "--token-store", "secret-service"], environment: env)
        #expect(adopted.status == 0, "stderr: \(adopted.stderr)")
        #expect(try keyring.token(id: id) == token && !keyfileText(harness).contains(token))
        #expect(harness.keyfileEntries().first?["tokenStore"] == .string("secret-service"))
        let deleted = try await run(["delete", "mail", "--yes"], environment: env)
        #expect(deleted.status == 0, "stderr: \(deleted.stderr)")
        #expect(try keyring.token(id: id) == nil && harness.keyfileEntries().isEmpty)
    }

    @Test func aMoveKilledAtAnyStepLeavesEveryTokenReachable() async throws {
        let harness = try LoginHarness()
        let keyring = try TestKeyring()
        let env = withKeyring(harness, keyring)
        for name in ["a", "b", "c"] {
            let login = try await run(["login", "gmail", "--no-browser", "--name", name], environment: env, browser: TestBrowser())
            #expect(login.status == 0, "stderr: \(login.stderr)")
        }
        let tokens = Dictionary(uniqueKeysWithValues: harness.cloudElements.instances.current.map { ($0.key, $0.value.token) })
        // Kill the move after 0, 20, ... ms, each way, and check after each: every entry's token
        // is in the keyfile or (when the entry says so) in the keyring.
        for (step, target) in [(0, "secret-service"), (15, "keyfile"), (30, "secret-service"), (45, "keyfile"), (60, "secret-service"),
                               (90, "keyfile"), (120, "secret-service"), (160, "keyfile")] {
            _ = try await run(["keyfile", "move-tokens", "--to", target], environment: env, onStart: { pid in
                usleep(useconds_t(step * 1000))
                kill(pid, SIGKILL)
            })
            for entry in harness.keyfileEntries() {
                let id = try #require(entry["id"]?.integerValue)
                let reachable = entry["tokenStore"] == .string("secret-service") ? try keyring.token(id: id) : entry["token"]?.stringValue
                #expect(reachable == tokens[id], "step \(step) ms to \(target): entry \(id) lost its token")
            }
            #expect(harness.keyfileEntries().count == 3)
        }
        let finished = try await run(["keyfile", "move-tokens", "--to", "secret-service"], environment: env)
        #expect(finished.status == 0, "stderr: \(finished.stderr)")
        for (id, token) in tokens { #expect(try keyring.token(id: id) == token) }
    }

    @Test func secretsLiveInTheKeyringAfterTheEnvironmentAndTheCommand() async throws {
        let harness = try LoginHarness()
        let keyring = try TestKeyring()
        var env = withKeyring(harness, keyring)
        let user = env[Settings.Variable.userSecret]!
        env[Settings.Variable.userSecret] = nil
        // Read from standard input, never echoed back, never in argv.
        let set = try await run(["secrets", "set", "user-secret"], environment: env, input: user + "\n")
        #expect(set.status == 0, "stderr: \(set.stderr)")
        #expect(try keyring.setting("user-secret") == user)
        let listed = try await run(["secrets", "list", "--json"], environment: env)
        #expect(listed.status == 0 && listed.stdout.contains(#"{"profile":"default","key":"user-secret","set":true}"#), "\(listed.stdout)")
        #expect(listed.stdout.contains(#"{"profile":"default","key":"org-secret","set":false}"#))
        for done in [set, listed] { expectNoSecrets(done) }

        // The keyring is the third source: list --remote works with only it, and config list says so.
        let remote = try await run(["list", "--remote"], environment: env)
        #expect(remote.status == 0, "stderr: \(remote.stderr)")
        let config = try await run(["config", "list"], environment: env)
        #expect(config.stdout.contains("CEAUTH_USER_SECRET\t(set; never shown)\tSecret Service"), "\(config.stdout)")
        // A profile's command wins over the keyring, the environment over both.
        let script = harness.directory.path + "/print-secret"
        try writeExecutable("#!/bin/sh\nprintf %s USERSECRET-fromcommand1\n", to: script)
        _ = try await run(["config", "set", "user-secret-command", script], environment: env)
        let byCommand = try await run(["config", "list"], environment: env)
        #expect(byCommand.stdout.contains("CEAUTH_USER_SECRET\t(set; never shown)\tuser-secret-command of the profile"), "\(byCommand.stdout)")
        env[Settings.Variable.userSecret] = user
        let byEnvironment = try await run(["config", "list"], environment: env)
        #expect(byEnvironment.stdout.contains("CEAUTH_USER_SECRET\t(set; never shown)\tenvironment"), "\(byEnvironment.stdout)")

        let deleted = try await run(["secrets", "delete", "user-secret"], environment: env)
        let gone = try keyring.setting("user-secret")
        #expect(deleted.status == 0 && gone == nil, "stderr: \(deleted.stderr)")
        let twice = try await run(["secrets", "delete", "user-secret"], environment: env)
        #expect(twice.status == 1)
        let empty = try await run(["secrets", "set", "org-secret"], environment: env, input: "")
        let none = try keyring.setting("org-secret")
        #expect(empty.status == 64 && none == nil, "\(empty.stderr)")
    }

    @Test(arguments: [TestKeyring.Kind.noService, .silent, .locked])
    func aKeyringThatCannotServeStopsTheLoginBeforeTheBrowser(kind: TestKeyring.Kind) async throws {
        let harness = try LoginHarness()
        let keyring = try TestKeyring(kind)
        let env = withKeyring(harness, keyring, [Settings.Variable.keyringTimeout: "1"])
        let browser = TestBrowser()
        let login = try await run(["login", "gmail", "--no-browser", "--token-store", "secret-service"], environment: env, browser: browser)
        #expect(login.status == 12, "stderr: \(login.stderr)")
        let said: String = switch kind {
        case .noService: "nothing serves the Secret Service"
        case .silent: "did not answer within 1 second"
        case .locked: "is locked"
        case .unlocked: "-"
        }
        #expect(login.stderr.contains(said), "\(login.stderr)")
        // Before the browser: no consent asked, nothing created, nothing written in plain text.
        #expect(login.url == nil && harness.google.authorizationRequests.current.isEmpty)
        #expect(harness.cloudElements.instances.current.isEmpty && !FileManager.default.fileExists(atPath: harness.keyfile))
        if kind == .silent { #expect(login.seconds < 8, "the wait was not bounded: \(login.seconds) s") }
        expectNoSecrets(login)
    }

    @Test func aLoginWithNoBusStopsBeforeTheBrowser() async throws {
        let harness = try LoginHarness()
        let login = try await run(["login", "gmail", "--no-browser", "--token-store", "secret-service"], environment: harness.environment,
                                  browser: TestBrowser())
        #expect(login.status == 12 && login.stderr.contains("DBUS_SESSION_BUS_ADDRESS"), "\(login.stderr)")
        #expect(harness.google.authorizationRequests.current.isEmpty && !FileManager.default.fileExists(atPath: harness.keyfile))
    }

    @Test func aKeyringThatVanishesAfterThePostLosesNothing() async throws {
        let harness = try LoginHarness()
        let keyring = try TestKeyring()
        let env = withKeyring(harness, keyring)
        harness.cloudElements.latency.with { $0 = 1.0 }
        // The keyring goes while Cloud Elements works on the POST: the token is printed once, exit 6.
        let cloudElements = harness.cloudElements
        let watcher = Thread {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline && !cloudElements.arrived.current.contains(where: { $0.hasPrefix("POST /elements/api-v2/instances") }) {
                usleep(10_000)
            }
            keyring.vanish()
        }
        watcher.start()
        let login = try await run(["login", "gmail", "--no-browser", "--name", "mail", "--token-store", "secret-service"],
                                  environment: env, browser: TestBrowser())
        #expect(login.status == 6, "stderr: \(login.stderr)")
        let (id, instance) = try #require(harness.cloudElements.instances.current.first)
        #expect(login.stderr.contains(String(id)) && login.stderr.contains(instance.token), "\(login.stderr)")
        #expect(login.stderr.contains("Secret Service"))
        // Never written elsewhere instead.
        #expect(!keyfileText(harness).contains(instance.token))
    }
}

extension CLITests {
    /// libsecret is loaded only when the Secret Service is asked for: --help and a token from
    /// the keyfile start as before (glibc's LD_DEBUG names every library the process loads).
    @Test func libsecretIsLoadedOnlyWhenTheKeyringIsAskedFor() async throws {
        let harness = try LoginHarness()
        let keyring = try TestKeyring()
        let env = withKeyring(harness, keyring, ["LD_DEBUG": "libs"])
        let login = try await run(["login", "gmail", "--no-browser", "--name", "plain"], environment: env, browser: TestBrowser())
        #expect(login.status == 0, "stderr: \(login.stderr.suffix(2000))")
        for arguments in [["--help"], ["token", "plain"], ["list"]] {
            let done = try await run(arguments, environment: env)
            #expect(done.status == 0, "\(arguments)")
            #expect(!done.stderr.contains("libsecret"), "\(arguments) loaded libsecret")
        }
        let kept = try await run(["login", "gmail", "--no-browser", "--name", "kept", "--token-store", "secret-service"],
                                 environment: env, browser: TestBrowser())
        #expect(kept.status == 0)
        let asked = try await run(["token", "kept"], environment: env)
        #expect(asked.status == 0 && asked.stderr.contains("libsecret-1.so.0"), "the check above could not fail")
    }
}

extension CLITests {
    /// A machine without libsecret: told so only when it asks for the keyring (libsecret hidden
    /// by a bind mount in a mount namespace of the run's own, as libcurl is in CLIReleaseTests).
    @Test func withoutLibsecretOnlyTheKeyringAsksForIt() async throws {
        let libsecret = "/usr/lib/x86_64-linux-gnu/libsecret-1.so.0"
        guard Self.canHide(libsecret) else { return }
        func withoutLibsecret(_ arguments: [String], environment: [String: String]) async throws -> Run {
            try await runHiding(libsecret, arguments, environment: environment)
        }
        let harness = try LoginHarness()
        let keyring = try TestKeyring()
        let env = withKeyring(harness, keyring)
        let plain = try await run(["login", "gmail", "--no-browser", "--name", "plain"], environment: env, browser: TestBrowser())
        #expect(plain.status == 0, "stderr: \(plain.stderr)")
        let consents = harness.google.authorizationRequests.current.count
        let token = try await withoutLibsecret(["token", "plain"], environment: env)
        #expect(token.status == 0 && token.stdout.hasPrefix("INSTANCETOKEN-"), "stderr: \(token.stderr)")
        let login = try await withoutLibsecret(["login", "gmail", "--no-browser", "--token-store", "secret-service"], environment: env)
        #expect(login.status == 12 && login.stderr.contains("libsecret is not installed (libsecret-1.so.0)"), "stderr: \(login.stderr)")
        #expect(!login.stderr.contains("/o/oauth2/") && harness.google.authorizationRequests.current.count == consents)
    }
}
