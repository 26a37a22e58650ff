import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// Cloud Elements misbehaving in every way the hardening issue names, seen through the
/// `ceauth` binary with --verbose: a clear message, its own exit code, exactly one POST,
/// and none of the secrets on stdout, stderr or the browser's page.
struct CloudElementsFault: Sendable, CustomTestStringConvertible {
    var name: String
    var behaviour: EmulatedCloudElements.Behaviour
    var exitCode: Int32
    var saying: [String]
    var down = false

    var testDescription: String { name }

    static let eightMiB = Data(repeating: UInt8(ascii: "x"), count: 8 * 1024 * 1024)

    static let all: [CloudElementsFault] = [
        CloudElementsFault(name: "500 with a JSON error", behaviour: .answer(EmulatedCloudElements.error(500, "Internal failure")),
                           exitCode: 4, saying: ["HTTP 500", "Internal failure", "wait a little"]),
        CloudElementsFault(name: "502 with an HTML page", behaviour: .answer(EmulatorResponse(
            status: 502, headers: [("Content-Type", "text/html")], body: Data("<html><body>Bad gateway</body></html>".utf8))),
                           exitCode: 4, saying: ["HTTP 502", "not JSON (text/html, 37 bytes)"]),
        CloudElementsFault(name: "400 with a JSON error about the code", behaviour: .answer(EmulatedCloudElements.error(
            400, "Error while retrieving the OAuth token", provider: "{\"error\":\"invalid_grant\"}")),
                           exitCode: 4, saying: ["HTTP 400", "invalid_grant", "the authorization code was refused"]),
        CloudElementsFault(name: "403 with no body", behaviour: .answer(EmulatorResponse(status: 403)),
                           exitCode: 4, saying: ["HTTP 403", "an empty body", "check CEAUTH_USER_SECRET"]),
        CloudElementsFault(name: "400 whose message echoes the secrets and has escape codes", behaviour: .answer(
            EmulatedCloudElements.error(400, "bad secret \(SandboxSecrets.org) for \(SandboxSecrets.user)\u{1b}[2J\u{1b}]0;owned\u{07}",
                                    provider: "client \(SandboxSecrets.clientSecret) refused")),
                           exitCode: 4, saying: ["HTTP 400", "bad secret <redacted> for <redacted>", "client <redacted> refused"]),
        CloudElementsFault(name: "200 that is not JSON", behaviour: .answer(EmulatorResponse(status: 200, body: Data("OK".utf8))),
                           exitCode: 8, saying: ["HTTP 200 but its body is not a JSON object"]),
        CloudElementsFault(name: "200 of 8 MiB with a length", behaviour: .answer(EmulatorResponse(status: 200, body: eightMiB)),
                           exitCode: 8, saying: ["larger than 1024 KiB"]),
        CloudElementsFault(name: "500 of 8 MiB without a length", behaviour: .answer(EmulatorResponse(
            status: 500, body: eightMiB, closeDelimited: true)),
                           exitCode: 8, saying: ["HTTP 500 but its body is larger than 1024 KiB"]),
        CloudElementsFault(name: "a server that never answers", behaviour: .hang,
                           exitCode: 7, saying: ["no answer within 2 seconds", "may have been created"]),
        CloudElementsFault(name: "a server that closes without answering", behaviour: .answer(EmulatorResponse(status: 0, dropConnection: true)),
                           exitCode: 7, saying: ["got no answer", "may have been created"]),
        // The POST was read whole before these answers: never "nothing was sent" (exit 5).
        CloudElementsFault(name: "an answer that is not HTTP", behaviour: .answer(EmulatorResponse(
            status: 0, raw: Data("NOT HTTP AT ALL".utf8))),
                           exitCode: 8, saying: ["not an HTTP response", "may have been created"]),
        CloudElementsFault(name: "a bare JSON body without a status line", behaviour: .answer(EmulatorResponse(
            status: 0, raw: Data("{\"id\": 481234, \"token\": \"INSTANCETOKEN-raw\"}".utf8))),
                           exitCode: 8, saying: ["not an HTTP response", "may have been created"]),
        CloudElementsFault(name: "a server that is down", behaviour: .normal,
                           exitCode: 5, saying: ["could not reach Cloud Elements", "No instance was created"], down: true),
    ]
}

extension CLITests {
    @Test(arguments: CloudElementsFault.all)
    func cloudElementsFaultsFailClearlyWithoutSecretsOrASecondPost(fault: CloudElementsFault) async throws {
        let harness = try LoginHarness(cloudElements: fault.behaviour)
        if fault.down { harness.cloudElements.goDown() }
        let browser = TestBrowser()
        let run = try await run(["login", "gmail", "--no-browser", "--verbose", "--json", "--request-timeout", "2"],
                          environment: harness.environment, browser: browser)
        #expect(run.status == fault.exitCode, "stderr: \(run.stderr)")
        for text in fault.saying { #expect(run.stderr.contains(text), "missing '\(text)' in: \(run.stderr)") }
        #expect(run.stdout.isEmpty)
        #expect(!run.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "a control character reached the terminal")
        expectNoSecrets(run)
        // The browser is told too, and its page carries no secret either. A host that is down is
        // found by the check before the browser opens: no URL, no consent spent.
        if fault.down {
            #expect(run.url == nil && browser.page.current == nil)
        } else {
            let page = try #require(browser.page.current)
            #expect(page.status == 400)
            for secret in SandboxSecrets.all { #expect(!page.body.contains(secret)) }
        }
        // Never a second POST: a retry could create a second instance or replay the code.
        #expect(harness.cloudElements.postCount == (fault.down ? 0 : 1))
        #expect(harness.keyfileEntries().isEmpty)
        #expect(run.seconds < 15)
    }
}
