import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The config file, profiles and secret commands: flags > environment > profile > defaults.
@Suite struct ProfileTests {
    @Test func theFileKeepsEverythingItDoesNotChange() {
        var config = ConfigFile(text: "# mine\n[default]\nenv = eu\n; note\n\n[work]\nclient-id = a\nunknown-key = kept\n")
        #expect(config.values(profile: "work") == ["client-id": "a", "unknown-key": "kept"])
        config.set("client-id", "b", profile: "work")
        config.set("keyfile", "/k.json", profile: "default")
        config.set("env", nil, profile: "default")
        config.set("tags", "x,y", profile: "new")
        #expect(config.text == "# mine\n[default]\n; note\nkeyfile = /k.json\n\n[work]\nunknown-key = kept\nclient-id = b\n\n[new]\ntags = x,y\n")
        #expect(config.profiles == ["default", "work", "new"])
    }

    @Test func secretsAndUnknownKeysAreRefused() {
        for key in ["user-secret", "org-secret", "client-secret", "my-secret"] {
            #expect(throws: ConfigurationError.self) { try ConfigFile.check(key: key) }
        }
        #expect(throws: ConfigurationError.self) { try ConfigFile.check(key: "colour") }
        #expect(throws: Never.self) { try ConfigFile.check(key: "user-secret-command") }
    }

    func profile(_ values: [String: String]) -> Profile { Profile(name: "p", values: values, file: "/c") }

    @Test func theEnvironmentWinsOverTheProfileWhichFillsTheRest() throws {
        let (env, sources) = try Settings.effectiveEnvironment(
            ["CEAUTH_CLIENT_ID": "from-env"],
            profile: profile(["client-id": "from-profile", "keyfile": "/p/keys.json", "env": "eu"]))
        #expect(env["CEAUTH_CLIENT_ID"] == "from-env")
        #expect(env["CEAUTH_KEYFILE"] == "/p/keys.json")
        #expect(env["CEAUTH_BASE_URL"] == "https://api.cloud-elements.co.uk/elements/api-v2")
        #expect(sources["CEAUTH_CLIENT_ID"] == .environment("CEAUTH_CLIENT_ID"))
        #expect(sources["CEAUTH_KEYFILE"] == .profile("p", file: "/c"))
        // A flag still wins over both: Settings.baseURL takes the flag first.
        #expect(try Settings.baseURL(flag: "https://flag.example/a", environmentName: nil, environment: env).host == "flag.example")
    }

    @Test func aSecretCommandFillsAnUnsetVariableAndIsNotRunWhenItIsSet() throws {
        let marker = TemporaryDirectory().path + "/ran"
        // No shell: printf gets the word as it is and prints two lines; the first is the secret.
        let (env, _) = try Settings.effectiveEnvironment(["PATH": "/usr/bin:/bin"], profile: profile(["user-secret-command": "printf USERSECRET-cmd\\nsecond"]))
        #expect(env["CEAUTH_USER_SECRET"] == "USERSECRET-cmd")
        let (kept, sources) = try Settings.effectiveEnvironment(["CEAUTH_USER_SECRET": "from-env", "PATH": "/usr/bin:/bin"],
                                                                profile: profile(["user-secret-command": "touch \(marker)"]))
        #expect(kept["CEAUTH_USER_SECRET"] == "from-env")
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(sources["CEAUTH_USER_SECRET"] == .environment("CEAUTH_USER_SECRET"))
    }

    @Test func secretCommandsThatFailPrintToStderrOrHangAreNamedAndBounded() throws {
        let env = ["PATH": "/usr/bin:/bin"]
        func failure(_ line: String, timeout: Double = 5) -> String {
            do {
                _ = try SecretCommand.run(line, key: "org-secret-command", environment: env, timeoutSeconds: timeout)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(failure("false").contains("org-secret-command (false): it exited with status 1"))
        #expect(failure("sh -c exit").contains("exited with status") || failure("sh -c exit").contains("printed nothing"))
        #expect(failure("no-such-command-here").contains("'no-such-command-here' is not an executable file or on PATH"))
        #expect(failure("true").contains("it printed nothing on its first line"))
        // stderr is counted, never shown: it may hold the secret itself.
        let noisy = failure("ls /no/such/ORGSECRET-in-stderr")
        #expect(noisy.contains("bytes to stderr, not shown") && !noisy.contains("ORGSECRET"))
        let started = monotonicSeconds()
        #expect(failure("sleep 30", timeout: 0.5).contains("did not finish within 0.5 seconds (CEAUTH_SECRET_COMMAND_TIMEOUT), so it and every process it started were stopped"))
        #expect(monotonicSeconds() - started < 5)
        #expect(try SecretCommand.run("echo ORG-abc", key: "k", environment: env, timeoutSeconds: 5) == "ORG-abc")
    }

    @Test func aProfileAskedForMustExist() throws {
        let directory = TemporaryDirectory()
        let env = ["HOME": directory.path]
        #expect(throws: ConfigurationError.self) { try Profile.load(flag: "work", environment: env) }
        #expect(try Profile.load(flag: nil, environment: env).values.isEmpty)
        try FileManager.default.createDirectory(atPath: directory.path + "/.config/ceauth", withIntermediateDirectories: true)
        try Data("[work]\nbase-url = https://x.example\nenv = eu\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/.config/ceauth/config"))
        #expect(throws: ConfigurationError.self) { try Profile.load(flag: "work", environment: env) }
    }
}

/// Profiles through the binary: what each command then sees.
extension CLITests {
    @Test func profilesReachEveryCommandWithFlagsAndEnvironmentWinning() async throws {
        let harness = try LoginHarness()
        var env = harness.environment
        env["CEAUTH_CLIENT_ID"] = nil
        env["CEAUTH_USER_SECRET"] = nil
        // Like `pass show ce/user`: the command holds no secret, it prints one.
        let printer = harness.directory.path + "/print-user-secret"
        try writeExecutable("#!/bin/sh\necho \(SandboxSecrets.user)\n", to: printer, mode: 0o700)
        let set = [["config", "set", "client-id", SandboxSecrets.clientID, "--profile", "work"],
                   ["config", "set", "user-secret-command", printer, "--profile", "work"],
                   ["config", "set", "tags", "team-a, nightly", "--profile", "work"]]
        for arguments in set { await #expect(try run(arguments, environment: env).status == 0) }
        #expect(fileMode(harness.directory.path + "/config/ceauth/config") == 0o600)

        // Without the profile, the client id is missing; with it, everything is there.
        await #expect(try run(["url", "gmail"], environment: env).status == 64)
        let url = try await run(["url", "gmail", "--profile", "work"], environment: env)
        #expect(url.stdout.contains("client_id=1234-fakeclient.apps.googleusercontent.com"))
        var chosen = env
        chosen["CEAUTH_PROFILE"] = "work"
        chosen["CEAUTH_CLIENT_ID"] = "env-wins.apps.googleusercontent.com"
        await #expect(try run(["url", "gmail"], environment: chosen).stdout.contains("client_id=env-wins.apps.googleusercontent.com"))

        // A login with the profile: the secret from its command, its tags.
        let login = try await run(["login", "gmail", "--profile", "work", "--no-browser", "--json"], environment: env, browser: TestBrowser())
        #expect(login.status == 0, "stderr: \(login.stderr)")
        #expect(harness.cloudElements.bodies.current.first?["tags"] == .array([.string("team-a"), .string("nightly")]))
        expectNoSecrets(login, allowToken: "INSTANCETOKEN")

        let list = try await run(["config", "list", "--profile", "work", "--json"], environment: env)
        guard case .array(let rows) = try JSONValue.parse(Data(list.stdout.utf8)) else { Issue.record("not an array"); return }
        let secret = rows.first { $0["key"] == .string("CEAUTH_USER_SECRET") }
        #expect(secret?["value"] == .string("(set; never shown)") && secret?["source"] == .string("user-secret-command of the profile"))
        #expect(rows.first { $0["key"] == .string("client-id") }?["source"]?.stringValue?.hasPrefix("profile work (") == true)
        expectNoSecrets(list)

        let refused = try await run(["config", "set", "org-secret", "x"], environment: env)
        #expect(refused.status == 64 && refused.stderr.contains("never stored in the config file; keep it in CEAUTH_ORG_SECRET"))
    }

    @Test func aHangingSecretCommandStopsTheCommandInTime() async throws {
        let harness = try LoginHarness()
        var env = harness.environment
        env["CEAUTH_ORG_SECRET"] = nil
        env["CEAUTH_SECRET_COMMAND_TIMEOUT"] = "1"
        await #expect(try run(["config", "set", "org-secret-command", "sleep 30"], environment: env).status == 0)
        let run = try await run(["login", "gmail", "--no-browser"], environment: env)
        #expect(run.status == 64)
        #expect(run.stderr.contains("org-secret-command (sleep): it did not finish within 1 seconds"))
        #expect(run.seconds < 10)
        #expect(!run.stderr.contains("/o/oauth2/"))
        // Commands that need no secret do not run it.
        await #expect(try self.run(["list"], environment: env).status == 0)
    }
}
