import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

@Suite struct LoginOptionsTests {
    var environment: [String: String] {
        SandboxSecrets.environment.merging(["HOME": "/home/u"]) { _, new in new }
    }

    func plan(_ configure: (inout LoginOptions) -> Void = { _ in }, environment: [String: String]? = nil) throws -> LoginPlan {
        var options = LoginOptions(element: "gmail")
        configure(&options)
        return try options.makePlan(environment: environment ?? self.environment, library: .builtIn,
                                    now: Date(timeIntervalSince1970: 1_795_000_000))
    }

    @Test func defaults() throws {
        let plan = try plan()
        #expect(plan.baseURL.absoluteString == "https://api.cloud-elements.com/elements/api-v2")
        #expect(plan.authorizeURL.absoluteString == "https://accounts.google.com/o/oauth2/v2/auth")
        #expect(plan.redirect == .ephemeral)
        #expect(plan.scopes == ["https://mail.google.com/", "https://www.googleapis.com/auth/gmail.settings.basic"])
        #expect(plan.keyfilePath == "/home/u/.config/ceauth/keys.json")
        #expect(plan.name == "gmail via ceauth 2026-11-18 11:06 UTC")
        #expect(plan.timeoutSeconds == 300)
        #expect(plan.events == nil)
    }

    @Test func missingSecretsAreAllNamedAtOnce() {
        var env = environment
        env["CEAUTH_ORG_SECRET"] = nil
        env["CEAUTH_CLIENT_SECRET"] = ""
        #expect(throws: ConfigurationError.missingEnvironment(["CEAUTH_ORG_SECRET", "CEAUTH_CLIENT_SECRET"])) {
            try plan(environment: env)
        }
        let text = "\(ConfigurationError.missingEnvironment(["CEAUTH_ORG_SECRET"]))"
        #expect(text.contains("missing environment variable CEAUTH_ORG_SECRET"))
    }

    @Test func environmentsAndBaseURL() throws {
        #expect(try plan { $0.environmentName = "eu" }.baseURL.host == "api.cloud-elements.co.uk")
        #expect(try plan { $0.environmentName = "staging" }.baseURL.host == "staging.cloud-elements.com")
        #expect(try plan(environment: environment.merging(["CEAUTH_BASE_URL": "https://x.example/elements/api-v2"]) { _, n in n }).baseURL.host == "x.example")
        // The flag wins over the variable.
        #expect(try plan({ $0.baseURL = "https://flag.example/a" }, environment: environment.merging(["CEAUTH_BASE_URL": "https://env.example/a"]) { _, n in n }).baseURL.host == "flag.example")
        #expect(throws: ConfigurationError.self) { try plan { $0.environmentName = "mars" } }
        // libcurl reaches IPv6 literals (URLSession on Linux could not).
        #expect(try plan { $0.baseURL = "http://[::1]:8080/elements/api-v2" }.baseURL.host == "::1")
        // What the HTTP client would refuse is refused before the browser opens.
        #expect {
            try plan { $0.baseURL = "http://127.0.0.1:99999/elements/api-v2" }
        } throws: { error in
            "\(error)".contains("the port must be between 1 and 65535")
        }
        // The base URL is used as libcurl reads it, everywhere (request, keyfile, messages).
        #expect(try plan { $0.baseURL = "http://127.000.000.001:8080/elements/api-v2" }.baseURL.absoluteString
            == "http://127.0.0.1:8080/elements/api-v2")
        // A dotted host that libcurl would send to DNS is not taken for loopback.
        #expect(throws: ConfigurationError.self) { try plan { $0.baseURL = "http://127.0.0.08:8080/elements/api-v2" } }
        // The browser can: Google's URL may be one (tests on IPv6-only hosts use that).
        #expect(try plan(environment: environment.merging(["CEAUTH_AUTHORIZE_URL": "http://[::1]:9/auth"]) { _, n in n })
            .authorizeURL.host == "::1")
        #expect(throws: ConfigurationError.self) { try plan { $0.environmentName = "us"; $0.baseURL = "https://x.example" } }
        #expect(throws: ConfigurationError.self) { try plan { $0.baseURL = "http://api.cloud-elements.com/elements/api-v2" } }
        #expect(throws: ConfigurationError.self) {
            try plan(environment: environment.merging(["CEAUTH_AUTHORIZE_URL": "http://accounts.example/auth"]) { _, n in n })
        }
    }

    @Test func scopesLoginHintAndTags() throws {
        let plan = try plan { $0.scopes = ["a b", "c"]; $0.loginHint = "x@y.z"; $0.tags = ["t1", "t2"]; $0.name = "mine" }
        #expect(plan.scopes == ["a", "b", "c"])
        #expect(plan.loginHint == "x@y.z")
        #expect(plan.tags == ["t1", "t2"])
        #expect(plan.name == "mine")
        #expect(throws: ConfigurationError.self) { try self.plan { $0.name = "  " } }
        #expect(throws: ConfigurationError.self) { try self.plan { $0.tags = [""] } }
    }

    @Test func eventsOptions() throws {
        let plan = try plan { $0.eventsURL = "https://hooks.example/ce"; $0.pollIntervalMinutes = 30 }
        #expect(plan.events == EventsOptions(callbackURL: "https://hooks.example/ce", pollIntervalMinutes: 30))
        #expect(try self.plan { $0.eventsURL = "https://hooks.example/ce" }.events?.pollIntervalMinutes == 15)
        #expect(throws: ConfigurationError.self) { try self.plan { $0.pollIntervalMinutes = 5 } }
        #expect(throws: ConfigurationError.self) { try self.plan { $0.eventsURL = "https://h.example"; $0.pollIntervalMinutes = 0 } }
        #expect(throws: ConfigurationError.self) { try self.plan { $0.eventsURL = "http://h.example" } }
    }

    @Test func timeoutsAndRedirect() throws {
        #expect(try plan { $0.redirectURI = "http://localhost:8080/oauth/callback" }.redirect
                == LoopbackRedirect(host: "localhost", port: 8080, path: "/oauth/callback"))
        #expect(throws: ListenerError.self) { try plan { $0.redirectURI = "http://example.com:8080/" } }
        #expect(throws: ConfigurationError.self) { try plan { $0.timeoutSeconds = 0 } }
        #expect(throws: ConfigurationError.self) { try plan { $0.requestTimeoutSeconds = 0 } }
    }

    @Test func keyfileLocation() throws {
        #expect(try plan { $0.keyfile = "/k/keys.json" }.keyfilePath == "/k/keys.json")
        #expect(try plan(environment: environment.merging(["CEAUTH_KEYFILE": "/e/k.json"]) { _, n in n }).keyfilePath == "/e/k.json")
        #expect(try plan(environment: environment.merging(["XDG_CONFIG_HOME": "/cfg"]) { _, n in n }).keyfilePath == "/cfg/ceauth/keys.json")
    }

    @Test func browserCandidates() {
        let url = "http://127.0.0.1:1/auth?x=1"
        #expect(BrowserLauncher.candidates(url: url, environment: [:], isMacOS: false, isWSL: false)
                == [["xdg-open", url], ["gio", "open", url]])
        #expect(BrowserLauncher.candidates(url: url, environment: ["BROWSER": "firefox --new-window:w3m %s"], isMacOS: false, isWSL: false).prefix(2)
                == [["firefox", "--new-window", url], ["w3m", url]])
        #expect(BrowserLauncher.candidates(url: url, environment: [:], isMacOS: true, isWSL: false).first == ["open", url])
        #expect(BrowserLauncher.candidates(url: url, environment: [:], isMacOS: false, isWSL: true).prefix(2)
                == [["wslview", url], ["rundll32.exe", "url.dll,FileProtocolHandler", url]])
    }

    @Test func browserLauncherRunsBrowserAndReportsFailure() throws {
        let directory = TemporaryDirectory()
        let script = directory.path + "/fake-browser"
        let record = directory.path + "/opened.txt"
        try writeExecutable("#!/bin/sh\nprintf '%s' \"$1\" > \(record)\n", to: script, mode: 0o755)
        let url = URL(string: "http://127.0.0.1:1/auth?state=abc&x=1")!
        let env = ["BROWSER": script, "PATH": "/nonexistent"]
        #expect(BrowserLauncher.open(url: url, environment: env) == .opened(command: script + " <the URL above>"))
        #expect(String(data: FileManager.default.contents(atPath: record) ?? Data(), encoding: .utf8) == url.absoluteString)
        // A browser that fails, and nothing else on PATH: reported, not thrown.
        #expect(BrowserLauncher.open(url: url, environment: ["BROWSER": "/bin/false", "PATH": "/nonexistent"]) == .failed(tried: ["/bin/false"]))
        #expect(BrowserLauncher.open(url: url, environment: ["PATH": "/nonexistent"]) == .failed(tried: []))
    }
}
