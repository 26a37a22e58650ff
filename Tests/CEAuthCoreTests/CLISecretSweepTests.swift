import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// Every failure path outside Cloud Elements (those are in CLIFaultTests), run through the
/// binary with --verbose: each ends with its exit code and a message, and none of the secrets
/// reaches stdout or stderr.
enum FailurePath: String, CaseIterable, Sendable {
    case consentDenied, issuerMixUp, noRedirectInTime, junkThenGenuine, keyfileIsASymlink, keyfileUnparseable,
         keyfileTooOpen, wrongPlatformSecret, portInUse, plainHTTPBaseURL, calendarIDForGmail
}

extension CLITests {
    @Test(arguments: FailurePath.allCases)
    func failurePathsWithVerboseKeepSecretsOut(path: FailurePath) async throws {
        let harness = try LoginHarness(google: path == .consentDenied ? .deny : .consent)
        var env = harness.environment
        var arguments = ["login", "gmail", "--no-browser", "--verbose"]
        let browser = TestBrowser()
        var expected: (status: Int32, saying: String)
        var heldPort: LoopbackListener?
        defer { heldPort?.close() }
        let keyfile = harness.keyfile
        let folder = (keyfile as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

        switch path {
        case .consentDenied:
            expected = (3, "consent was denied")
        case .issuerMixUp:
            browser.tamper = { $0.replacingOccurrences(of: "iss=https%3A%2F%2Faccounts.google.com", with: "iss=https%3A%2F%2Fevil.example") }
            expected = (3, "evil.example")
        case .noRedirectInTime:
            browser.followsRedirect = false
            arguments += ["--timeout", "1"]
            expected = (3, "no redirect from the browser within 1 seconds")
        case .junkThenGenuine:
            browser.beforeRedirect = { redirect in
                let port = UInt16(redirect.port ?? 0)
                let query = redirect.query ?? ""
                for request in [
                    ListenerTests.get("/?" + query, port: port, host: "attacker.example:\(port)"),
                    ListenerTests.get("/?code=x&state=forged", port: port),
                    ListenerTests.get("/favicon.ico", port: port),
                    ListenerTests.get("/?" + String(repeating: "z", count: 9000), port: port),
                    Array("\u{0}\u{1}\u{2} junk\r\n\r\n".utf8),
                ] { _ = try? RawHTTP.send(request, host: "127.0.0.1", port: port) }
            }
            expected = (0, "Created gmail instance")
        case .keyfileIsASymlink:
            symlink(folder + "/elsewhere.json", keyfile)
            expected = (6, "symbolic link")
        case .keyfileUnparseable:
            try Data("{\"instances\": [".utf8).write(to: URL(fileURLWithPath: keyfile))
            expected = (6, keyfile)
        case .keyfileTooOpen:
            try Data("{\"instances\": []}".utf8).write(to: URL(fileURLWithPath: keyfile))
            chmod(keyfile, 0o644)
            expected = (0, "was readable by others (mode 0644)")
        case .wrongPlatformSecret:
            env["CEAUTH_USER_SECRET"] = "USERSECRET-not-the-right-one"
            expected = (4, "HTTP 401")
        case .portInUse:
            let listener = try LoopbackListener(redirect: .ephemeral)
            heldPort = listener
            arguments += ["--redirect-uri", "http://127.0.0.1:\(listener.port)/"]
            expected = (64, "already in use")
        case .plainHTTPBaseURL:
            arguments += ["--base-url", "http://api.cloud-elements.com/elements/api-v2"]
            expected = (64, "https")
        case .calendarIDForGmail:
            arguments += ["--calendar-id", "primary"]
            expected = (64, "calendar")
        }

        let interactive = [FailurePath.keyfileIsASymlink, .keyfileUnparseable, .portInUse, .plainHTTPBaseURL, .calendarIDForGmail]
        let run = try await run(arguments, environment: env, browser: interactive.contains(path) ? nil : browser)
        #expect(run.status == expected.status, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(expected.saying), "stderr: \(run.stderr)")
        expectNoSecrets(run)
        #expect(!run.stderr.contains("USERSECRET-not-the-right-one"))
        if expected.status == 0 { #expect(fileMode(keyfile) == 0o600) }
        // Problems found before the browser opens spend no code.
        if interactive.contains(path) { #expect(harness.cloudElements.postCount == 0) }
    }
}
