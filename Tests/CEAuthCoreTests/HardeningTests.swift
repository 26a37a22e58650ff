import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The second hardening round's pure checks: each refuses, before the browser opens, an input
/// that used to pass and fail only after the code was spent.
@Suite struct PreBrowserCheckTests {
    func plan(_ environment: [String: String], _ configure: (inout LoginOptions) -> Void = { _ in }) throws -> LoginPlan {
        var options = LoginOptions(element: "googlecalendar")
        configure(&options)
        return try options.makePlan(environment: environment.merging(["HOME": "/home/u"]) { _, new in new }, library: .builtIn)
    }

    @Test(arguments: ["CEAUTH_USER_SECRET", "CEAUTH_ORG_SECRET", "CEAUTH_CLIENT_ID", "CEAUTH_CLIENT_SECRET"],
          ["\r", "\n", "\u{01}", "\u{7F}", "\u{85}"])
    func aControlCharacterInAVariableIsNamedNeverShown(variable: String, character: String) {
        var environment = SandboxSecrets.environment
        let value = "VALUE-77aa" + character
        environment[variable] = value
        #expect {
            try plan(environment)
        } throws: { error in
            guard case ConfigurationError.controlCharacterInVariable(let name, _) = error else { return false }
            let text = "\(error)"
            return name == variable && text.contains(variable) && !text.contains("VALUE-77aa")
        }
    }

    @Test func aCarriageReturnIsSaidPlainly() {
        var environment = SandboxSecrets.environment
        environment["CEAUTH_ORG_SECRET"] = SandboxSecrets.org + "\r"
        #expect {
            try plan(environment)
        } throws: { error in
            "\(error)".contains("CEAUTH_ORG_SECRET contains a carriage return (CR)")
        }
    }

    @Test(arguments: [
        "http://127.0.0.1:8080/a/../b", "http://127.0.0.1:8080/./cb", "http://127.0.0.1:8080/cb/.",
        "http://127.0.0.1:8080/cb/..", "http://localhost:8080/%2e%2E/cb", "http://[::1]:8080/x/%2E/cb",
        "http://127.0.0.1:8080/.%2e/cb",
    ])
    func aRedirectPathThatBrowsersRewriteIsRefused(uri: String) {
        #expect {
            try plan(SandboxSecrets.environment) { $0.redirectURI = uri }
        } throws: { error in
            guard case ListenerError.invalidRedirectURI = error else { return false }
            return "\(error)".contains("browsers resolve")
        }
    }

    @Test(arguments: ["http://127.0.0.1:8080/a.b/..c/cb", "http://127.0.0.1:8080/.well-known/cb", "http://127.0.0.1:8080/cb..",
                      "http://127.0.0.1:8080/"])
    func dotsInsideASegmentAreFine(uri: String) throws {
        #expect(try plan(SandboxSecrets.environment) { $0.redirectURI = uri }.redirect.port == 8080)
    }

    @Test(arguments: [".", ".."])
    func aCalendarIDThatIsADotSegmentIsRefused(id: String) throws {
        let template = try TemplateLibrary.builtIn.element("googlecalendar")
        let values = InstanceValues(code: "c", clientID: "id", clientSecret: Secret("s"), redirectURI: "http://127.0.0.1:1/",
                                    name: "n", tags: [], events: EventsOptions(callbackURL: "https://e.example/",
                                                                               parameters: ["calendarId": id]))
        #expect(throws: TemplateError.invalidParameterValue(option: "--calendar-id", reason: "'\(id)' is a relative path segment, not an id")) {
            try InstanceBodyRenderer.render(template, values: values)
        }
        // Dots inside an id are ordinary characters.
        var dotted = values
        dotted.events?.parameters["calendarId"] = "..."
        let body = try InstanceBodyRenderer.render(template, values: dotted)
        #expect(body.encoded().range(of: Data("/calendars/.../changed-events".utf8)) != nil)
    }
}

/// The one output filter: escape, redact, then shorten.
@Suite struct SafeTextTests {
    let safe = SafeText(redactor: Redactor(environment: SandboxSecrets.environment))

    /// Every cut position through every secret, for both the terminal line and a page value:
    /// no part of a secret survives a cut, because the cut comes after the redaction.
    @Test(arguments: SandboxSecrets.all)
    func truncationNeverLeavesPartOfASecret(secret: String) {
        for limit in [safe.maxLineLength, 1000] {
            for inside in 0...secret.count {
                let text = String(repeating: "x", count: limit - inside) + secret + " and more"
                let shown = limit == 1000 ? safe.value(text) : safe.lines("a line\n" + text)
                #expect(!shown.contains(String(secret.prefix(3))) && !shown.contains(String(secret.suffix(3))),
                        "part of the secret with \(inside) of it inside the limit: …\(shown.suffix(30))")
            }
        }
    }

    @Test func unsafeCharactersAreShownEscaped() {
        let hostile = "a\u{1b}]0;PWNED\u{07}b\rc\u{9b}31m\u{202e}txt.exe\u{2066}d\u{200f}e\u{7f}"
        let shown = safe.lines(hostile + "\nsecond line")
        #expect(shown == #"a\x1b]0;PWNED\x07b\rc\x9b31m\u202etxt.exe\u2066d\u200fe\x7f"# + "\nsecond line")
        #expect(!shown.unicodeScalars.contains { TerminalText.isUnsafe($0) && $0 != "\n" })
        // A value is one line: its line feeds are escaped too.
        #expect(safe.value("a\nb\tc") == #"a\nb\tc"#)
        // Columns of ceauth's own listings keep their tabs.
        #expect(safe.lines("gmail\tGmail") == "gmail\tGmail")
        // Secrets are found even when escapes surround them.
        #expect(safe.lines("\u{1b}[1m\(SandboxSecrets.org)\u{1b}[0m") == #"\x1b[1m<redacted>\x1b[0m"#)
    }

    @Test func ordinaryTextIsUntouched() {
        let text = "Created gmail instance 'Büro ✓ 日本' (id 481234); token saved to /home/me/.config/ceauth/keys.json"
        #expect(safe.lines(text) == text)
        #expect(safe.value(text) == text)
    }
}
