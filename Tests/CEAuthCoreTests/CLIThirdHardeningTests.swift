import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The third hardening round through the `ceauth` binary: each defect as another local user, a
/// hostile service or an unlucky user meets it, on real processes, files, sockets and shells.
extension CLITests {
    /// Secrets that are not the sandbox's published ones: what a real user has exported.
    static let realSecrets = [
        "CEAUTH_USER_SECRET": "REALUSER-7d1f9b2c44", "CEAUTH_ORG_SECRET": "REALORG-0a9e3c5d71",
        "CEAUTH_CLIENT_ID": "555-real.apps.googleusercontent.com", "CEAUTH_CLIENT_SECRET": "REALCLIENT-6b2d8f0e93",
    ]

    /// Issue 15.1: a sandbox entry's old port may be anyone's now; without --sandbox nothing is
    /// sent there, and only the commands that send nothing work on it.
    @Test func aSandboxEntryIsNeverContactedWithRealSecrets() async throws {
        let harness = try LoginHarness()
        let made = try await run(["login", "gmail", "--sandbox", "--no-browser", "--json", "--name", "play"],
                           environment: bareEnvironment(harness), browser: TestBrowser())
        #expect(made.status == 0, "stderr: \(made.stderr)")
        let baseURL = try #require(harness.keyfileEntries().first?["baseUrl"]?.stringValue)
        let port = try #require(URL(string: baseURL)?.port)
        // Another local user takes the port the sandbox left free and records what arrives.
        let squatted = Locked<[String]>([])
        let squatter = try EmulatorServer(port: UInt16(port)) { request in
            squatted.with { $0.append("\(request.method) \(request.path) \(request.headers["authorization"] ?? "")") }
            return .json(200, .object(["id": .integer(1), "valid": .bool(true)]))
        }
        defer { squatter.stop() }
        let env = bareEnvironment(harness).merging(Self.realSecrets) { _, real in real }
        for arguments in [["verify", "play"], ["delete", "play", "--yes"], ["header", "play"],
                          ["login", "gmail", "--update", "play", "--no-browser"]] {
            let run = try await run(arguments, environment: env)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("sandbox instance") && run.stderr.contains("--sandbox"), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("/o/oauth2/"), "the consent URL was printed: \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let all = try await run(["verify", "--all", "--json"], environment: env)
        #expect(all.status == 0, "stderr: \(all.stderr)")
        #expect(all.stderr.contains("skipped: 'play'") && all.stderr.split(separator: "\n").count == 1, "stderr: \(all.stderr)")
        #expect(try JSONValue.parse(Data(all.stdout.utf8)) == .array([]))
        #expect(squatted.current.isEmpty, "sent to the squatted port: \(squatted.current)")
        // What sends nothing works on it as on any entry.
        #expect(try await run(["token", "play"], environment: env).status == 0)
        #expect(try await run(["show", "play"], environment: env).status == 0)
        #expect(try await run(["list"], environment: env).status == 0)
        let forgotten = try await run(["delete", "play", "--local-only", "--yes"], environment: env)
        #expect(forgotten.status == 0, "stderr: \(forgotten.stderr)")
        #expect(harness.keyfileEntries().isEmpty)
        #expect(squatted.current.isEmpty)
        for secret in Self.realSecrets.values { #expect(!squatted.current.joined().contains(secret)) }
    }

    /// Issue 15.2: the config file names programs to run and where secrets go; one that another
    /// user could have written is not read.
    @Test func aConfigFileOthersCouldWriteIsNotObeyed() async throws {
        let harness = try LoginHarness()
        let folder = harness.directory.path + "/config/ceauth"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = folder + "/config"
        let marker = harness.directory.path + "/ran"
        let script = harness.directory.path + "/secret.sh"
        try writeExecutable("#!/bin/sh\ntouch \(marker)\necho ORGSECRET-b2d48c31\n", to: script, mode: 0o755)
        var env = harness.environment
        env["CEAUTH_ORG_SECRET"] = nil
        func write(_ text: String, mode: mode_t) throws {
            unlink(config)
            try Data(text.utf8).write(to: URL(fileURLWithPath: config))
            chmod(config, mode)
        }
        let profile = "[default]\norg-secret-command = \(script)\nbase-url = \(harness.cloudElements.baseURL)\n"
        try write(profile, mode: 0o666)
        var run = try await run(["verify", "--all"], environment: env)
        #expect(run.status == 6, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("the config file \(config) can be written by other users (mode 0666)"), "stderr: \(run.stderr)")
        #expect(run.stderr.contains("chmod go-w \(config)"))
        #expect(!FileManager.default.fileExists(atPath: marker), "the secret command ran")

        try write(profile, mode: 0o600)
        chown(config, 65534, 65534)
        run = try await self.run(["list"], environment: env)
        #expect(run.status == 6 && run.stderr.contains("belongs to another user (uid 65534)"), "stderr: \(run.stderr)")

        // A link another user owns, to a file of ours.
        chown(config, 0, 0)
        let real = harness.directory.path + "/real-config"
        rename(config, real)
        symlink(real, config)
        lchown(config, 65534, 65534)
        run = try await self.run(["list"], environment: env)
        #expect(run.status == 6 && run.stderr.contains("symbolic link that belongs to another user (uid 65534)"), "stderr: \(run.stderr)")
        unlink(config)
        rename(real, config)

        // A folder others can write into.
        chmod(folder, 0o777)
        run = try await self.run(["list"], environment: env)
        #expect(run.status == 6 && run.stderr.contains("in a folder other users can write into (mode 0777)"), "stderr: \(run.stderr)")
        chmod(folder, 0o700)
        #expect(!FileManager.default.fileExists(atPath: marker))

        // Ours, 0600, in our folder: obeyed (the command runs).
        run = try await self.run(["verify", "--all"], environment: env)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    /// Issue 15.2: a relative secret command and a profile name that would inject lines.
    @Test func relativeSecretCommandsAndInjectingProfileNamesAreRefused() async throws {
        let harness = try LoginHarness()
        let env = harness.environment
        let set = try await run(["config", "set", "user-secret-command", "./rel"], environment: env)
        #expect(set.status == 64 && set.stderr.contains("'./rel' is a relative path"), "stderr: \(set.stderr)")
        let injected = try await run(["config", "set", "env", "eu", "--profile", "x]\nuser-secret-command = /tmp/evil\n[default"], environment: env)
        #expect(injected.status == 64 && injected.stderr.contains("is not a profile name"), "stderr: \(injected.stderr)")
        let config = harness.directory.path + "/config/ceauth/config"
        #expect(!FileManager.default.fileExists(atPath: config))
        // Written by hand, a relative command is refused when the profile is read.
        try FileManager.default.createDirectory(atPath: harness.directory.path + "/config/ceauth", withIntermediateDirectories: true)
        try Data("[default]\norg-secret-command = bin/secret\n".utf8).write(to: URL(fileURLWithPath: config))
        chmod(config, 0o600)
        let run = try await run(["list"], environment: env)
        #expect(run.status == 64 && run.stderr.contains("'bin/secret' is a relative path"), "stderr: \(run.stderr)")
        #expect(run.stderr.contains("org-secret-command (profile default in \(config))"), "stderr: \(run.stderr)")
    }

    /// Issue 15.3: every reading command refuses a keyfile another user owns, before it reads.
    @Test func readingCommandsRefuseAKeyfileAnotherUserOwns() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "mail")
        chmod(harness.keyfile, 0o644)
        chown(harness.keyfile, 65534, 65534)
        for arguments in [["token", "mail"], ["header", "mail"], ["show", "mail"], ["list"], ["verify", "--all"], ["delete", "mail", "--yes"]] {
            let run = try await run(arguments, environment: harness.environment)
            #expect(run.status == 6, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("belongs to another user (uid 65534)"), "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(arguments): \(run.stdout)")
        }
        #expect(harness.cloudElements.calls.current.isEmpty)
    }

    /// Issue 15.3 as the other user sees it: nobody's script pointed at root's keyfile.
    @Test(.enabled(if: CLITests.asNobody != nil)) func anotherUsersKeyfileIsRefusedToNobodyToo() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "mail")
        chmod(harness.keyfile, 0o644)
        for folder in [harness.directory.path, harness.directory.path + "/config", harness.directory.path + "/config/ceauth"] { chmod(folder, 0o755) }
        var env = harness.environment
        env["HOME"] = "/nonexistent"
        env["XDG_CONFIG_HOME"] = nil
        let run = try await run(CLITests.asNobody! + [CLITests.binary, "token", "mail", "--keyfile", harness.keyfile],
                          environment: env, executable: "/usr/bin/setpriv")
        #expect(run.status == 6, "stderr: \(run.stderr)")
        #expect(run.stdout.isEmpty && run.stderr.contains("belongs to another user (uid 0)"), "stderr: \(run.stderr)")
    }

    /// Issue 15.6: an entry whose id is written as a string is removed and updated like any.
    @Test func anIdWrittenAsAStringIsRemovedAndUpdated() async throws {
        let harness = try LoginHarness()
        let id = try await loggedIn(harness, name: "mail")
        let text = String(decoding: FileManager.default.contents(atPath: harness.keyfile)!, as: UTF8.self)
        let stringID = text.replacingOccurrences(of: "\"id\": \(id)", with: "\"id\": \"\(id)\"")
        #expect(stringID != text)
        try Data(stringID.utf8).write(to: URL(fileURLWithPath: harness.keyfile))
        let update = try await run(["login", "gmail", "--update", "mail", "--no-browser"], environment: harness.environment, browser: TestBrowser())
        #expect(update.status == 0, "stderr: \(update.stderr)")
        #expect(harness.keyfileEntries().count == 1, "a second entry was appended")
        let deleted = try await run(["delete", "mail", "--yes"], environment: harness.environment)
        #expect(deleted.status == 0, "stderr: \(deleted.stderr)")
        #expect(deleted.stderr.contains("removed it from \(harness.keyfile)"))
        #expect(harness.keyfileEntries().isEmpty)
        #expect(harness.cloudElements.instances.current[id] == nil)
    }

    /// Issue 15.7: a name that is another instance's id is ambiguous; name: and id: say which.
    @Test func aNameThatIsAnotherInstancesIdIsAmbiguous() async throws {
        let harness = try LoginHarness()
        let first = try await loggedIn(harness, name: "placeholder")
        let second = try await loggedIn(harness, name: "other")
        // The first instance is named after the second one's id.
        let text = String(decoding: FileManager.default.contents(atPath: harness.keyfile)!, as: UTF8.self)
        try Data(text.replacingOccurrences(of: "\"placeholder\"", with: "\"\(second)\"").utf8).write(to: URL(fileURLWithPath: harness.keyfile))
        let ambiguous = try await run(["delete", "\(second)", "--yes"], environment: harness.environment)
        #expect(ambiguous.status == 9, "stderr: \(ambiguous.stderr)")
        #expect(ambiguous.stderr.contains("name:\(second) or id:\(second)"))
        #expect(ambiguous.stderr.contains("(id \(first),") && ambiguous.stderr.contains("'other' (id \(second),"))
        #expect(harness.cloudElements.calls.current.filter { $0.hasPrefix("DELETE") }.isEmpty)
        let byID = try await run(["delete", "id:\(second)", "--yes", "--json"], environment: harness.environment)
        #expect(byID.status == 0, "stderr: \(byID.stderr)")
        #expect(try JSONValue.parse(Data(byID.stdout.utf8))["name"] == .string("other"))
        let byName = try await run(["token", "name:\(second)"], environment: harness.environment)
        #expect(byName.status == 0 && byName.stdout.hasPrefix("INSTANCETOKEN-\(first)-"))
    }

    /// Issue 15.8: re-authorizing keeps the instance's events, pollers, interval and tags; only
    /// flags change them, and --dry-run shows the merged body without sending it.
    @Test func reauthorizingKeepsTheInstancesEventsAndTags() async throws {
        let harness = try LoginHarness()
        let made = try await run(["login", "gmail", "--no-browser", "--json", "--name", "prod-mail", "--tag", "prod",
                            "--events-url", "https://hooks.example.com/mail", "--poll-interval", "5"],
                           environment: harness.environment, browser: TestBrowser())
        #expect(made.status == 0, "stderr: \(made.stderr)")
        let id = try #require(try JSONValue.parse(Data(made.stdout.utf8))["id"]?.integerValue)
        let events = try #require(harness.cloudElements.instances.current[id]?.configuration)
        #expect(events["event.notification.enabled"] == .bool(true) || events["event.notification.enabled"] == .string("true"))

        let dry = try await run(["login", "gmail", "--update", "prod-mail", "--dry-run", "--json"], environment: harness.environment)
        #expect(dry.status == 0, "stderr: \(dry.stderr)")
        let document = try JSONValue.parse(Data(dry.stdout.utf8))
        let put = try #require(document["requests"]?.arrayValue?.last)
        #expect(put["method"] == .string("PUT"))
        let body = try JSONValue.parse(Data(try #require(put["body"]?.stringValue).utf8))
        #expect(body["configuration"]?["event.notification.callback.url"] == .string("https://hooks.example.com/mail"))
        #expect(body["tags"] == .array([.string("prod")]))
        #expect(body["configuration"]?["oauth.user.token"] == nil && body["token"] == nil)
        #expect(!harness.cloudElements.calls.current.contains { $0.hasPrefix("PUT") }, "--dry-run sent the PUT")
        #expect(!dry.stdout.contains("ya29.") && !dry.stdout.contains("1//") && !dry.stdout.contains("INSTANCETOKEN-"))
        expectNoSecrets(dry)

        let update = try await run(["login", "gmail", "--update", "prod-mail", "--no-browser"], environment: harness.environment, browser: TestBrowser())
        #expect(update.status == 0, "stderr: \(update.stderr)")
        let after = try #require(harness.cloudElements.instances.current[id])
        #expect(after.configuration["event.notification.callback.url"] == .string("https://hooks.example.com/mail"))
        #expect(after.configuration["event.poller.refresh_interval"] == events["event.poller.refresh_interval"])
        #expect(after.configuration["event.poller.configuration"] == events["event.poller.configuration"])
        #expect(after.configuration["event.notification.enabled"] == events["event.notification.enabled"])
        #expect(after.tags == [.string("prod")] && after.name == "prod-mail")
        let sent = try #require(harness.cloudElements.bodies.current.last)
        #expect(sent["providerData"]?["code"] != nil && sent["token"] == nil)

        // A flag changes what it names, and only that.
        let moved = try await run(["login", "gmail", "--update", "prod-mail", "--no-browser", "--events-url", "https://hooks.example.com/new"],
                            environment: harness.environment, browser: TestBrowser())
        #expect(moved.status == 0, "stderr: \(moved.stderr)")
        let last = try #require(harness.cloudElements.instances.current[id])
        #expect(last.configuration["event.notification.callback.url"] == .string("https://hooks.example.com/new"))
        #expect(last.tags == [.string("prod")])
    }

    /// Issue 15.9: an instance token echoed in an error from the ping is redacted everywhere.
    @Test func anInstanceTokenEchoedByCloudElementsIsRedacted() async throws {
        let harness = try LoginHarness()
        let id = try await loggedIn(harness, name: "mail")
        let token = try #require(harness.cloudElements.instances.current[id]?.token)
        harness.cloudElements.intercept.with {
            $0 = { request in
                guard request.path.hasSuffix("/ping") else { return nil }
                return EmulatedCloudElements.error(500, "could not use header " + (request.headers["authorization"] ?? ""))
            }
        }
        for arguments in [["verify", "mail"], ["verify", "mail", "--json"], ["verify", "--all", "--json"]] {
            let run = try await run(arguments, environment: harness.environment)
            #expect(run.status != 0)
            #expect(run.stderr.contains("could not use header") || run.stdout.contains("could not use header"), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains(token) && !run.stdout.contains(token), "\(arguments) showed the token")
            expectNoSecrets(run)
        }
    }

    /// Issue 15.10: numbers that trapped; the process keeps no core file.
    @Test func hostileNumbersDoNotTrapAndNoCoreFileIsKept() async throws {
        let harness = try LoginHarness()
        harness.google.tokenAnswerEdit.with { $0 = { body in body.merging(["refresh_token_expires_in": .double(1e300)]) { _, new in new } } }
        let local = try await run(["login", "gmail", "--no-browser", "--exchange", "local"], environment: harness.environment, browser: TestBrowser())
        #expect(local.status == 0, "stderr: \(local.stderr)")
        #expect(!local.stderr.contains("expires in"))

        for value in ["nan", "-inf", "inf", "1e400", "0"] {
            var env = harness.environment
            env["CEAUTH_SECRET_COMMAND_TIMEOUT"] = value
            let run = try await run(["list"], environment: env, limit: 10)
            #expect(run.status == 64, "\(value): \(run.stderr)")
            #expect(run.stderr.contains("CEAUTH_SECRET_COMMAND_TIMEOUT: give a number of seconds from 0.1 to 600"), "\(value): \(run.stderr)")
        }

        // A running ceauth: RLIMIT_CORE 0, and a crash (SIGABRT, the Swift backtracer off so the
        // default action runs) under `ulimit -c unlimited` leaves no core file.
        let folder = TemporaryDirectory()
        // `ulimit -c unlimited` with a clean signal mask (a test thread's mask blocks SIGABRT).
        let command = "import os, resource, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
            + "resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)); "
            + "os.chdir(sys.argv[1]); os.execv(sys.argv[2], sys.argv[2:])"
        var crashing = harness.environment
        crashing["SWIFT_BACKTRACE"] = "enable=no"
        let run = try await run(["-c", command, folder.path, CLITests.binary, "login", "gmail", "--no-browser", "--timeout", "30"],
                          environment: crashing, afterURL: { pid, _ in
            let limits = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
            let core = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") } ?? ""
            #expect(core.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"], "\(core)")
            kill(pid, SIGABRT)
        }, executable: "/usr/bin/python3")
        #expect(run.status == SIGABRT, "it did not end on SIGABRT: \(run.status)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        #expect(!left.contains { $0.hasPrefix("core") }, "a core file was written: \(left)")
    }

    /// Issue 15.10: a success answer with a refresh token and no access token: revoked.
    @Test func aGrantWithoutAnAccessTokenIsRevoked() async throws {
        let harness = try LoginHarness()
        harness.google.tokenAnswerEdit.with { $0 = { body in body.filter { $0.key != "access_token" } } }
        let run = try await run(["login", "gmail", "--no-browser", "--exchange", "local"], environment: harness.environment, browser: TestBrowser())
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("without an access_token"))
        #expect(run.stderr.contains("Revoked the Google token ceauth received"))
        let refresh = try #require(harness.google.refreshTokens.current.keys.first)
        #expect(harness.google.revocations.current == [refresh])
        #expect(!run.stderr.contains(refresh))
        #expect(harness.cloudElements.postCount == 0)
    }

    /// Issue 15.5: the SSH session drops (the pty hangs up) while POST /instances is on its
    /// way: the request is finished and the instance saved, though nobody reads the terminal.
    @Test func aHangUpDuringTheRequestStillSavesTheInstance() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let harness = try LoginHarness()
        harness.cloudElements.latency.with { $0 = 0 }
        let browser = TestBrowser()
        let command = "exec \(CLITests.binary) login gmail --no-browser --name over-ssh --request-timeout 30"
        let run = try await run(["-qec", command, "/dev/null"], environment: harness.environment, afterURL: { pid, url in
            // Every request is slow from now on: the POST is on its way when the line drops.
            harness.cloudElements.latency.with { $0 = 2 }
            Thread { browser.visit(url) }.start()
            let until = monotonicSeconds() + 10
            while !harness.cloudElements.arrived.current.contains(where: { $0.hasPrefix("POST") }) && monotonicSeconds() < until { usleep(10_000) }
            #expect(harness.cloudElements.postCount == 0, "the POST was answered before the line dropped")
            kill(pid, SIGKILL)  // the terminal goes away: ceauth gets SIGHUP, then EIO on every write
        }, executable: "/usr/bin/script")
        _ = run
        let until = monotonicSeconds() + 15
        while harness.keyfileEntries().isEmpty && monotonicSeconds() < until { usleep(50_000) }
        let entry = try #require(harness.keyfileEntries().first, "the instance was created but not saved")
        #expect(entry["name"] == .string("over-ssh"))
        #expect(harness.cloudElements.instances.current.count == 1)
    }

    /// Issue 15.5: stderr a pipe nobody reads any more (SIGPIPE) cannot stop the save either.
    @Test func aClosedStderrCannotStopTheSave() async throws {
        let harness = try LoginHarness()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["login", "gmail", "--no-browser", "--name", "closed-pipe"]
        process.environment = harness.environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var seen = "", url: URL?
        let until = monotonicSeconds() + 10
        while url == nil && monotonicSeconds() < until {
            seen += String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
            url = seen.split(separator: "\n").first { $0.hasPrefix("http") }.flatMap { URL(string: String($0)) }
        }
        try errors.fileHandleForReading.close()  // the reader goes away; ceauth's next line meets EPIPE
        TestBrowser().visit(try #require(url))
        let deadline = monotonicSeconds() + 15
        while process.isRunning && monotonicSeconds() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "killed by a signal (\(process.terminationStatus))")
        #expect(harness.keyfileEntries().first?["name"] == .string("closed-pipe"))
    }

    /// Issue 15.4: completion offers instance names only as words the shell cannot run.
    @Test func completionNeverRunsCommandsHiddenInInstanceNames() async throws {
        let harness = try LoginHarness()
        let folder = TemporaryDirectory()
        let marker = folder.path + "/pwned"
        try FileManager.default.createDirectory(atPath: (harness.keyfile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let entries = [("mail-bot $(touch \(marker)-dollar)", 11), ("mail`touch \(marker)-tick`", 12), ("plain-name", 13),
                       ("gmail via ceauth 2026-11-23 11:20 UTC", 14)]
        let json = "{\"instances\": [" + entries.map { name, id in
            "{\"name\": \"\(name)\", \"id\": \(id), \"token\": \"t\(id)\", \"element\": \"gmail\", \"baseUrl\": \"https://example.com/elements/api-v2\"}"
        }.joined(separator: ", ") + "]}"
        try Data(json.utf8).write(to: URL(fileURLWithPath: harness.keyfile))
        chmod(harness.keyfile, 0o600)
        let binDirectory = (CLITests.binary as NSString).deletingLastPathComponent
        var env = harness.environment
        env["PATH"] = binDirectory + ":/usr/bin:/bin"
        env["HOME"] = folder.path
        for shell in ["bash", "zsh", "fish"] {
            let script = try await run(["--generate-completion-script", shell], environment: env)
            #expect(script.status == 0)
            try Data(script.stdout.utf8).write(to: URL(fileURLWithPath: folder.path + "/completion.\(shell)"))
        }
        // bash: the generated function, called as bash calls it on TAB after `ceauth token `.
        let bash = try await run(["-c", "source \(folder.path)/completion.bash; COMP_WORDS=(ceauth token ''); COMP_CWORD=2; "
                            + "COMP_LINE='ceauth token '; COMP_POINT=${#COMP_LINE}; _ceauth; printf '<%s>\\n' \"${COMPREPLY[@]}\""],
                       environment: env, executable: "/bin/bash")
        #expect(bash.stdout.contains("<plain-name>") && bash.stdout.contains("<11>") && bash.stdout.contains("<14>"), "bash: \(bash.stdout) \(bash.stderr)")
        #expect(!bash.stdout.contains("mail"), "bash offered an unsafe name: \(bash.stdout)")
        // zsh and fish: a real interactive shell on a pty, TAB pressed after `ceauth token `.
        if let zsh = ["/usr/bin/zsh", "/bin/zsh"].first(where: FileManager.default.isExecutableFile) {
            try Data("""
            zmodload zsh/zpty
            zpty z "\(zsh) -f -i"
            zpty -w z 'PS1="> "; fpath=(\(folder.path)/zfunc $fpath); autoload -U compinit; compinit -u -D'
            zpty -w -n z $'ceauth token \\t'
            sleep 3
            out=""; while zpty -r -t z chunk; do out+=$chunk; done; print -r -- "$out"
            zpty -d z
            """.utf8).write(to: URL(fileURLWithPath: folder.path + "/drive.zsh"))
            try FileManager.default.createDirectory(atPath: folder.path + "/zfunc", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: folder.path + "/completion.zsh", toPath: folder.path + "/zfunc/_ceauth")
            let run = try await run(["-f", folder.path + "/drive.zsh"], environment: env, limit: 20, executable: zsh)
            #expect(run.stdout.contains("plain-name") && run.stdout.contains("gmail via ceauth 2026-11-23 11:20 UTC"), "zsh: \(run.stdout)")
        }
        if let fish = ["/usr/bin/fish", "/bin/fish"].first(where: FileManager.default.isExecutableFile),
           FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") {
            // A pty of its own (Python's pty module): keys typed, the screen read for a bounded
            // time, then the shell and all it started killed.
            try Data("""
            import os, pty, select, signal, sys, time
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], [sys.argv[1], "-i", "-N"])
            def read(seconds):
                out, end = b"", time.time() + seconds
                while time.time() < end:
                    if select.select([fd], [], [], 0.1)[0]:
                        try: out += os.read(fd, 65536)
                        except OSError: break
                return out
            read(1.5)
            os.write(fd, ("source " + sys.argv[2] + "\\n").encode()); read(1.5)
            os.write(fd, b"ceauth token m\\t"); screen = read(3)
            os.kill(pid, signal.SIGKILL)
            sys.stdout.write(screen.decode(errors="replace"))
            """.utf8).write(to: URL(fileURLWithPath: folder.path + "/drive.py"))
            let run = try await run([folder.path + "/drive.py", fish, folder.path + "/completion.fish"], environment: env, limit: 20,
                              executable: "/usr/bin/python3")
            #expect(run.stdout.contains("mail-bot $(touch"), "fish did not offer the name as a literal word: \(String(run.stdout.suffix(600)))")
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        #expect(!left.contains { $0.hasPrefix("pwned") }, "completion ran a command hidden in a name: \(left)")
    }

    /// Issue 15.11 and 15.18: a secret command's own exit ends the wait (a helper it left may
    /// hold the pipe); a real timeout stops its whole group; children never see ceauth's secrets.
    @Test func secretCommandsEndWhenTheyExitAndGetNoOtherSecrets() async throws {
        let folder = TemporaryDirectory()
        let helper = folder.path + "/with-helper.sh"
        try writeExecutable("#!/bin/sh\nsleep 30 &\necho HELPER-SECRET-value-1\n", to: helper, mode: 0o755)
        let env = ["PATH": "/usr/bin:/bin", "CEAUTH_USER_SECRET": "USERSECRET-5f1c9e7a", "CEAUTH_CLIENT_SECRET": "CLIENTSECRET-9a7e3d10"]
        let started = monotonicSeconds()
        #expect(try SecretCommand.run(helper, key: "org-secret-command", environment: env, timeoutSeconds: 5) == "HELPER-SECRET-value-1")
        #expect(monotonicSeconds() - started < 2, "waited for the helper, not the command")

        let pidFile = folder.path + "/child.pid"
        let stuck = folder.path + "/stuck.sh"
        try writeExecutable("#!/bin/sh\nsleep 30 &\necho $! > \(pidFile)\nsleep 30\n", to: stuck, mode: 0o755)
        #expect(throws: ConfigurationError.self) {
            try SecretCommand.run(stuck, key: "org-secret-command", environment: env, timeoutSeconds: 0.5)
        }
        let child = try #require(Int32((try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        let until = monotonicSeconds() + 3
        func alive() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8) else { return false }
            return !stat.contains(") Z ")
        }
        while alive() && monotonicSeconds() < until { usleep(20_000) }
        #expect(!alive(), "the command's child was left running after the timeout")

        let printer = folder.path + "/printenv.sh"
        try writeExecutable("#!/bin/sh\necho \"ENV-${CEAUTH_USER_SECRET:-none}-${CEAUTH_CLIENT_SECRET:-none}-padding\"\n", to: printer, mode: 0o755)
        #expect(try SecretCommand.run(printer, key: "org-secret-command", environment: env, timeoutSeconds: 5) == "ENV-none-none-padding")
    }

    /// Issue 15.18: the browser (often long-lived) gets an environment without the secrets.
    @Test func theBrowserGetsNoSecrets() async throws {
        let harness = try LoginHarness()
        let folder = TemporaryDirectory()
        let browser = folder.path + "/browser.sh"
        try writeExecutable("#!/bin/sh\nenv > \(folder.path)/env\n", to: browser, mode: 0o755)
        var env = harness.environment
        env["BROWSER"] = browser
        let run = try await run(["login", "gmail", "--timeout", "2"], environment: env)
        #expect(run.status == 3)
        let seen = (try? String(contentsOfFile: folder.path + "/env", encoding: .utf8)) ?? ""
        #expect(seen.contains("CEAUTH_CLIENT_ID="), "the browser did not run: \(run.stderr)")
        for secret in SandboxSecrets.all { #expect(!seen.contains(secret)) }
    }

    /// Issue 15.12: standard input without a newline is refused at 16 KiB, holding no more.
    @Test func standardInputWithoutANewlineIsBounded() async throws {
        let harness = try LoginHarness()
        let created = try await run(["create", "gmail", "--redirect-uri", "https://app.example.com/cb"],
                              environment: harness.environment, limit: 10, stdinFile: "/dev/zero")
        #expect(created.status == 64, "stderr: \(created.stderr)")
        #expect(created.stderr.contains("longer than 16 KiB"))
        #expect(created.seconds < 10)
        #expect(harness.cloudElements.postCount == 0)
        // --paste: the endless line is refused and no more is read, while the listener keeps
        // waiting (here until its timeout: no browser comes).
        let pasted = try await run(["login", "gmail", "--no-browser", "--paste", "--timeout", "3"], environment: harness.environment,
                             limit: 20, stdinFile: "/dev/zero")
        #expect(pasted.status == 3, "stderr: \(pasted.stderr)")
        #expect(pasted.stderr.contains("That line is not an address") && pasted.stderr.contains("no redirect from the browser within 3 seconds"),
                "stderr: \(pasted.stderr)")
    }
}

extension CLITests {
    /// Issue 15.13 and 15.14: --dry-run --json is one JSON document, every secret a reference
    /// in every form it takes (a client secret with a quote and a backslash, JSON-escaped).
    @Test func dryRunJSONIsOneDocumentWithSecretsAsReferences() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "mail")
        var env = harness.environment
        let awkward = #"CLIENT"SECRET\with-quote-123"#
        env["CEAUTH_CLIENT_SECRET"] = awkward
        let cases: [[String]] = [
            ["login", "gmail", "--dry-run", "--json"], ["login", "gmail", "--dry-run", "--json", "--exchange", "local"],
            ["create", "gmail", "--redirect-uri", "https://app.example.com/cb", "--dry-run", "--json"],
            ["delete", "mail", "--dry-run", "--json"], ["delete", "mail", "--local-only", "--dry-run", "--json"],
        ]
        for arguments in cases {
            let run = try await run(arguments, environment: env)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            let document = try JSONValue.parse(Data(run.stdout.utf8))
            #expect(document["dryRun"] == .bool(true), "\(arguments)")
            let requests = try #require(document["requests"]?.arrayValue, "\(arguments)")
            #expect(requests.count == (arguments.contains("--local-only") ? 0 : arguments.contains("local") ? 2 : 1), "\(arguments)")
            for request in requests {
                #expect(request["method"]?.stringValue != nil && request["url"]?.stringValue != nil && request["curl"]?.stringValue != nil)
            }
            if arguments.contains("--local-only") { #expect(document["wouldRemove"]?["name"] == .string("mail")) }
            if arguments[0] == "login" { #expect(document["authorizationUrl"]?.stringValue?.hasPrefix(harness.google.authorizeURL) == true) }
            for form in Redactor.forms(awkward) + SandboxSecrets.all {
                #expect(!run.stdout.contains(form) && !run.stderr.contains(form), "\(arguments) shows a form of a secret: \(form)")
            }
            if arguments[0] != "delete" { #expect(run.stdout.contains("$CEAUTH_CLIENT_SECRET"), "\(arguments)") }
        }
        #expect(harness.cloudElements.calls.current.filter { !$0.hasPrefix("GET") }.isEmpty, "a dry run sent a change")
        // Text mode: the JSON-escaped form is replaced too.
        let text = try await run(["login", "gmail", "--dry-run"], environment: env)
        #expect(text.status == 0 && text.stdout.contains("\"oauth.api.secret\":\"$CEAUTH_CLIENT_SECRET\""), "stdout: \(text.stdout)")
    }

    /// Issue 15.15: a secret too short to keep out of the output is refused, naming the variable.
    @Test func aSecretTooShortToRedactIsRefused() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "mail")
        var env = harness.environment
        env["CEAUTH_USER_SECRET"] = "u5ecr"
        for arguments in [["login", "gmail", "--no-browser"], ["verify", "mail"], ["header", "mail"]] {
            let run = try await run(arguments, environment: env)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("CEAUTH_USER_SECRET: the value is 5 characters long"), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("u5ecr") && run.stdout.isEmpty)
        }
    }

    /// Issue 15.17: a damaged entry is exit 6, naming it; it can still be forgotten.
    @Test func aDamagedEntryIsExit6NamingIt() async throws {
        let harness = try LoginHarness()
        try FileManager.default.createDirectory(atPath: (harness.keyfile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(#"""
        {"instances": [
          {"name": "empty", "id": 7, "token": "", "element": "gmail", "baseUrl": "\#(harness.cloudElements.baseURL)"},
          {"name": "nowhere", "id": 8, "token": "INSTANCETOKEN-8-x", "element": "gmail"},
          {"name": "note only"}
        ]}
        """#.utf8).write(to: URL(fileURLWithPath: harness.keyfile))
        chmod(harness.keyfile, 0o600)
        let cases: [([String], String)] = [
            (["token", "empty"], "'empty' (id 7)"), (["header", "empty"], "'empty' (id 7)"), (["show", "empty"], "'empty' (id 7)"),
            (["verify", "nowhere"], "it has no baseUrl"), (["delete", "nowhere", "--yes"], "it has no baseUrl"),
            (["login", "gmail", "--update", "nowhere", "--no-browser"], "it has no baseUrl"),
        ]
        for (arguments, saying) in cases {
            let run = try await run(arguments, environment: harness.environment)
            #expect(run.status == 6, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("is damaged") && run.stderr.contains(saying), "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(arguments): \(run.stdout.debugDescription)")
        }
        #expect(try await run(["token", "nowhere"], environment: harness.environment).stdout == "INSTANCETOKEN-8-x\n")
        let all = try await run(["verify", "--all"], environment: harness.environment)
        #expect(all.status == 10 && all.stderr.contains("not checked: 'empty'"), "stderr: \(all.stderr)")
        #expect(try await run(["delete", "id:7", "--local-only", "--yes"], environment: harness.environment).status == 0)
        #expect(harness.keyfileEntries().count == 2)
        #expect(harness.cloudElements.calls.current.isEmpty)
    }

    /// Issue 15.16: the emulators answer only their own loopback Host (DNS rebinding).
    @Test func theSandboxAnswersOnlyItsOwnHost() async throws {
        let sandbox = try Sandbox(consent: .consent)
        defer { sandbox.stop() }
        let port = try #require(URL(string: sandbox.cloudElements.baseURL)?.port)
        sandbox.cloudElements.adopt(id: 900_000_123, token: "INSTANCETOKEN-rebind", element: "gmail", name: "mail")
        func get(host: String) throws -> RawResponse {
            let request = "GET /sandbox/elements/api-v2/instances/900000123 HTTP/1.1\r\nHost: \(host)\r\n"
                + "Authorization: \(EmulatedCloudElements.platformHeader)\r\nConnection: close\r\n\r\n"
            return try RawHTTP.send(Array(request.utf8), host: "127.0.0.1", port: UInt16(port))
        }
        let rebound = try get(host: "attacker.example:\(port)")
        #expect(rebound.status == 421 && !rebound.body.contains("INSTANCETOKEN"))
        let deleted = try RawHTTP.send(Array("DELETE /sandbox/elements/api-v2/instances/900000123 HTTP/1.1\r\nHost: evil.example\r\nAuthorization: \(EmulatedCloudElements.platformHeader)\r\n\r\n".utf8),
                                       host: "127.0.0.1", port: UInt16(port))
        #expect(deleted.status == 421)
        #expect(try get(host: "127.0.0.1:\(port)").status == 200)
        let google = try #require(URL(string: sandbox.google.baseURL)?.port)
        let consent = try RawHTTP.send(Array("GET /o/oauth2/v2/auth HTTP/1.1\r\nHost: rebound.example:\(google)\r\n\r\n".utf8),
                                       host: "127.0.0.1", port: UInt16(google))
        #expect(consent.status == 421)
    }

    /// Issue 15.19: the help says where secrets really come from.
    @Test func theHelpSaysWhereSecretsComeFrom() async throws {
        let help = try await run(["--help"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(!help.stdout.contains("environment only"))
        #expect(help.stdout.contains("secret") && help.stdout.contains("commands"))
        let missing = try await run(["verify", "--all"], environment: ["PATH": "/usr/bin:/bin", "HOME": TemporaryDirectory().path])
        #expect(!missing.stderr.contains("environment only"))
    }
}

extension CLITests {
    /// Issue 16: a failure to write the config file names the config file, not the keyfile.
    @Test func aConfigFileThatCannotBeWrittenIsNamedAsTheConfigFile() async throws {
        let folder = TemporaryDirectory()
        let real = folder.path + "/real-config", link = folder.path + "/config"
        try Data("[default]\nenv = us\n".utf8).write(to: URL(fileURLWithPath: real))
        chmod(real, 0o600)
        symlink(real, link)
        let run = try await run(["config", "set", "env", "eu"], environment: ["PATH": "/usr/bin:/bin", "HOME": folder.path, "CEAUTH_CONFIG": link])
        #expect(run.status == 6, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("the config file \(link) is a symbolic link") && !run.stderr.contains("keyfile"), "stderr: \(run.stderr)")
        #expect(try String(contentsOfFile: real, encoding: .utf8) == "[default]\nenv = us\n")
    }
}

extension CLITests {
    /// The in-process runner gives what the binary gives: the same exit code and the same bytes
    /// on both streams, for successes, refusals and usage errors.
    @Test func inProcessRunsMatchTheBinary() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "mail")
        let cases: [[String]] = [["list", "--json"], ["list"], ["token", "mail"], ["show", "mail"], ["verify", "mail", "--json"],
                                 ["delete", "nope", "--yes"], ["verify"], ["config", "get", "env"], ["delete", "mail"],
                                 ["url", "gmail", "--redirect-uri", "https://app.example.com/cb"], ["header", "mail", "--json"]]
        for arguments in cases {
            #expect(CLITests.runsInProcess(arguments))
            let inside = try await run(arguments, environment: harness.environment)
            let outside = try await run([CLITests.binary] + arguments, environment: harness.environment, executable: "/usr/bin/env")
            #expect(inside.status == outside.status, "\(arguments)")
            #expect(inside.stderr == outside.stderr, "\(arguments)")
            // url's state is new on every run: compare all but it.
            if arguments[0] == "url" {
                #expect(inside.stdout.split(separator: "&").count == outside.stdout.split(separator: "&").count)
            } else {
                #expect(inside.stdout == outside.stdout, "\(arguments)")
            }
        }
        #expect(CLITests.counts.current.inProcess > 0)
    }
}
