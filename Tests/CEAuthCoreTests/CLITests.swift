import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox
@testable import ceauth

/// The `ceauth` executable itself, run as a user or script would, against the fakes.
/// Checks exit codes, stdout for scripts, and that no secret reaches either stream.
@Suite struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The URL printed on stderr (or given to $BROWSER).
        var url: URL?
        /// From the genuine redirect being sent to the process's exit.
        var redirectToExit: Double?
        /// From the start of the run (the process, or the command in this process) to its end,
        /// not counting the wait for a slot.
        var seconds: Double = 0
    }

    /// The built `ceauth`, next to the test bundle in the build folder.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent + "/ceauth"
    }

    /// How many runs (child processes or in-process commands) the suite's tests have going at once.
    static let slots = Slots(width: 6)

    /// Runs ceauth; when it prints the authorization URL, `browser` plays the person. The waiting
    /// happens off the test pool, in one of `slots`.
    func run(_ arguments: [String], environment: [String: String], browser: TestBrowser? = nil,
             urlFrom recordFile: String? = nil, afterURL: ((Int32, URL) -> Void)? = nil, limit: Double = 40,
             executable: String = CLITests.binary, input: String? = nil,
             paste: ((URL) -> String)? = nil, onStart: ((Int32) -> Void)? = nil, stdinFile: String? = nil) async throws -> Run {
        try await Self.slots.holding {
            let started = monotonicSeconds()
            var run = try self.runWaiting(arguments, environment: environment, browser: browser, urlFrom: recordFile, afterURL: afterURL,
                                limit: limit, executable: executable, input: input, paste: paste, onStart: onStart, stdinFile: stdinFile)
            run.seconds = monotonicSeconds() - started
            return run
        }
    }

    /// `run` on the calling thread and outside the slots: for runs that must all be going at once.
    func runWaiting(_ arguments: [String], environment: [String: String], browser: TestBrowser? = nil,
                    urlFrom recordFile: String? = nil, afterURL: ((Int32, URL) -> Void)? = nil, limit: Double = 40,
                    executable: String = CLITests.binary, input: String? = nil,
                    paste: ((URL) -> String)? = nil, onStart: ((Int32) -> Void)? = nil, stdinFile: String? = nil) throws -> Run {
        if executable == CLITests.binary && browser == nil && afterURL == nil && input == nil && paste == nil && onStart == nil
            && stdinFile == nil && recordFile == nil && Self.runsInProcess(arguments)
            // libsecret reads the bus address from the process's own environment.
            && environment["DBUS_SESSION_BUS_ADDRESS"] == nil {
            CLITests.counts.with { $0.inProcess += 1 }
            return Self.inProcess(arguments, environment: environment)
        }
        CLITests.counts.with { $0.binary += 1 }
        let directory = TemporaryDirectory()
        let outPath = directory.path + "/out", errPath = directory.path + "/err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = environment
        env["PATH"] = env["PATH"] ?? "/usr/bin:/bin"
        process.environment = env
        let inputPipe = Pipe()
        process.standardInput = stdinFile.flatMap { FileHandle(forReadingAtPath: $0) }
            ?? (input == nil && paste == nil ? FileHandle.nullDevice : inputPipe)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        onStart?(process.processIdentifier)
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inputPipe.fileHandleForWriting.close()
        }
        let deadline = monotonicSeconds() + limit

        var url: URL?
        if browser != nil || afterURL != nil || paste != nil {
            while url == nil && process.isRunning && monotonicSeconds() < deadline {
                if let recordFile {
                    url = (try? String(contentsOfFile: recordFile, encoding: .utf8)).flatMap { URL(string: $0) }
                } else {
                    // On stderr, or on stdout where a pty (script) merges the two.
                    let text = ((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "") + "\n"
                        + ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "")
                    // Not split(separator: "\n"): a pty ends lines with "\r\n", which is one Character.
                    url = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                        .first { $0.hasPrefix("http") }.flatMap { URL(string: $0) }
                }
                if url == nil { usleep(20_000) }
            }
            if let url, let browser { browser.visit(url) }
            if let url, let afterURL { afterURL(process.processIdentifier, url) }
            if let url, let paste {
                inputPipe.fileHandleForWriting.write(Data(paste(url).utf8))
                try? inputPipe.fileHandleForWriting.close()
            }
        }
        while process.isRunning && monotonicSeconds() < deadline { usleep(5_000) }
        let exited = monotonicSeconds()
        if process.isRunning {
            process.terminate()
            Issue.record("ceauth did not exit within \(limit)s")
        }
        process.waitUntilExit()
        let redirectToExit = browser?.redirectSentAt.current.map { exited - $0 }
        return Run(status: process.terminationStatus,
                   stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                   url: url, redirectToExit: redirectToExit)
    }

    /// Commands that need nothing of a process of their own (no signals, no standard input, no
    /// listener): run in this process through CommandIO, which is faster by a process start and
    /// a libcurl load each. login and create only as a dry run; the rest start the binary.
    /// How many runs went each way, printed by the last test of the suite.
    static let counts = Locked((inProcess: 0, binary: 0))

    static func runsInProcess(_ arguments: [String]) -> Bool {
        guard let command = arguments.first, !command.hasPrefix("-") else { return false }
        switch command {
        case "list", "show", "token", "header", "verify", "delete", "elements", "config", "url",
             "status", "events", "tag", "enable", "disable", "adopt": return true
        case "login", "create": return arguments.contains("--dry-run")
        default: return false
        }
    }

    /// Parses and runs `arguments` as `ceauth` would, its streams captured, its exit code the
    /// one the binary would give (ArgumentParser's for usage errors, help on stdout).
    static func inProcess(_ arguments: [String], environment: [String: String]) -> Run {
        let (out, err) = (Locked(""), Locked(""))
        var env = environment
        env["PATH"] = env["PATH"] ?? "/usr/bin:/bin"
        let io = CommandIO(environment: env, write: { text, stream in (stream == .output ? out : err).with { $0 += text } },
                           inputIsTerminal: false)
        var status: Int32 = 0
        do {
            var command = try CEAuth.parseAsRoot(arguments)
            if let command = command as? any CEAuthCommand { try command.run(io: io) } else { try command.run() }
        } catch {
            status = CEAuth.exitCode(for: error).rawValue
            let message = CEAuth.fullMessage(for: error)
            if !message.isEmpty { (status == 0 ? out : err).with { $0 += message + "\n" } }
        }
        return Run(status: status, stdout: out.current, stderr: err.current, url: nil, redirectToExit: nil)
    }

    func expectNoSecrets(_ run: Run, allowToken token: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in SandboxSecrets.all {
            #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret), "secret in output", sourceLocation: sourceLocation)
        }
        #expect(!run.stderr.contains("INSTANCETOKEN-") || token != nil, "token on stderr", sourceLocation: sourceLocation)
    }

    @Test func loginPrintsJSONForScriptsAndSavesTheKeyfile() async throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let run = try await run(["login", "gmail", "--no-browser", "--json", "--verbose", "--tag", "ci", "--timeout", "30"],
                          environment: harness.environment, browser: browser)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let output = try JSONValue.parse(Data(run.stdout.utf8))
        let entry = try #require(harness.keyfileEntries().first)
        #expect(output["id"] == entry["id"])
        #expect(output["token"] == entry["token"])
        #expect(output["element"] == .string("gmail"))
        #expect(output["baseUrl"] == .string(harness.cloudElements.baseURL))
        #expect(output["keyfile"] == .string(harness.keyfile))
        #expect(output["name"]?.stringValue?.hasPrefix("gmail via ceauth ") == true)
        #expect(run.stderr.contains("Created gmail instance"))
        #expect(browser.page.current?.status == 200)
        #expect(fileMode(harness.keyfile) == 0o600)
        // The token is on stdout because --json asked for it; never on stderr.
        expectNoSecrets(run)
        let seconds = try #require(run.redirectToExit)
        print("cli: redirect to exit \(String(format: "%.0f", seconds * 1000)) ms")
        #expect(seconds < 10)
    }

    /// A `$BROWSER` script that writes the URL it was given (argument `urlArgument`) to `record`.
    static func recordingBrowser(in directory: TemporaryDirectory, urlArgument: Int) throws -> (script: String, record: String) {
        let script = directory.path + "/browser", record = directory.path + "/url"
        try writeExecutable("#!/bin/sh\nprintf '%s' \"$\(urlArgument)\" > \(record).part && mv \(record).part \(record)\n", to: script, mode: 0o755)
        return (script, record)
    }

    @Test func browserFromTheEnvironmentGetsThePrintedURL() async throws {
        let harness = try LoginHarness()
        let directory = TemporaryDirectory()
        let (script, record) = try Self.recordingBrowser(in: directory, urlArgument: 1)
        var env = harness.environment
        env["BROWSER"] = script
        let browser = TestBrowser()
        let run = try await run(["login", "googlecalendar"], environment: env, browser: browser, urlFrom: record)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let url = try #require(run.url)
        #expect(run.stderr.contains(url.absoluteString + "\n"))
        #expect(run.stdout.isEmpty)
        expectNoSecrets(run)
    }

    @Test func missingSecretsExit64NamingThem() async throws {
        let run = try await run(["login", "gmail"], environment: ["HOME": "/tmp", "CEAUTH_USER_SECRET": "x"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("CEAUTH_ORG_SECRET, CEAUTH_CLIENT_ID, CEAUTH_CLIENT_SECRET"))
        let unknown = try await self.run(["login", "outlook"], environment: SandboxSecrets.environment)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("known elements: gmail, googlecalendar"))
        let usage = try await self.run(["login"], environment: SandboxSecrets.environment)
        #expect(usage.status == 64)
    }

    @Test func refusedByCloudElementsExits4() async throws {
        let harness = try LoginHarness()
        var env = harness.environment
        env["CEAUTH_ORG_SECRET"] = "ORGSECRET-wrong-one"
        let run = try await run(["login", "gmail", "--no-browser", "--verbose"], environment: env, browser: TestBrowser())
        #expect(run.status == 4, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("HTTP 401") && run.stderr.contains("5d6e7f80a1b2c3d4e5f60718"))
        #expect(!run.stderr.contains("ORGSECRET-wrong-one"))
        expectNoSecrets(run)
    }

    @Test func unreachableCloudElementsExits5() async throws {
        let harness = try LoginHarness()
        harness.cloudElements.goDown()
        let run = try await run(["login", "gmail", "--no-browser"], environment: harness.environment, browser: TestBrowser())
        #expect(run.status == 5, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("could not reach Cloud Elements"))
        expectNoSecrets(run)
    }

    @Test func deniedAndTimedOutExit3() async throws {
        let denied = try LoginHarness(google: .deny)
        let run = try await run(["login", "gmail", "--no-browser"], environment: denied.environment, browser: TestBrowser())
        #expect(run.status == 3)
        #expect(run.stderr.contains("consent was denied in the browser"))
        let harness = try LoginHarness()
        let timedOut = try await self.run(["login", "gmail", "--no-browser", "--timeout", "1"], environment: harness.environment)
        #expect(timedOut.status == 3)
        #expect(timedOut.stderr.contains("no redirect from the browser within 1 seconds"))
        #expect(timedOut.seconds < 10)
        expectNoSecrets(timedOut)
    }

    @Test func keyfileFailureAfterCreationPrintsIDAndTokenAndExits6() async throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let keyfile = harness.keyfile
        browser.beforeRedirect = { _ in
            try? FileManager.default.createDirectory(atPath: (keyfile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = symlink("/tmp/ceauth-nowhere-\(getpid())", keyfile)
        }
        let run = try await run(["login", "gmail", "--no-browser", "--json"], environment: harness.environment, browser: browser)
        #expect(run.status == 6, "stderr: \(run.stderr)")
        let output = try JSONValue.parse(Data(run.stdout.utf8))
        #expect(output["keyfile"] == .null)
        #expect(output["token"]?.stringValue.map { run.stderr.contains("token: " + $0) } == true)
        #expect(harness.cloudElements.postCount == 1)
        #expect(run.stderr.contains("token: INSTANCETOKEN-"))
        #expect(run.stderr.contains("id:    48"))
        for secret in SandboxSecrets.all { #expect(!run.stderr.contains(secret)) }
    }

    @Test func ctrlCEndsTheWaitCleanly() async throws {
        let harness = try LoginHarness()
        let run = try await run(["login", "gmail", "--no-browser"], environment: harness.environment,
                          afterURL: { pid, _ in kill(pid, SIGINT) })
        #expect(run.status == 130, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("interrupted"))
        // The port was released: the redirect URI can be bound again.
        let redirect = try #require(run.url.flatMap { URLComponents(url: $0, resolvingAgainstBaseURL: false) }?
            .queryItems?.first { $0.name == "redirect_uri" }?.value)
        let again = try LoopbackListener(redirect: LoopbackRedirect.parse(redirect))
        again.close()
    }

    @Test func elementsListsTheBuiltInTemplates() async throws {
        let run = try await run(["elements"], environment: [:])
        #expect(run.status == 0)
        #expect(run.stdout.contains("gmail\tGmail\t"))
        #expect(run.stdout.contains("googlecalendar\tGoogle Calendar\t"))
    }
}
