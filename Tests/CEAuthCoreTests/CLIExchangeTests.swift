import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// `--exchange local` (ceauth redeems the code with PKCE) and partial grants in both modes,
/// through the binary against the emulated Google and Cloud Elements.
extension CLITests {
    static let gmailScopes = ["https://mail.google.com/", "https://www.googleapis.com/auth/gmail.settings.basic"]

    /// No Google token in any output, page or file.
    func expectNoGoogleTokens(_ run: Run, _ harness: LoginHarness, page: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let keyfile = (try? String(contentsOfFile: harness.keyfile, encoding: .utf8)) ?? ""
        for text in [run.stdout, run.stderr, keyfile, page ?? ""] {
            #expect(!text.contains("ya29.") && !text.contains("1//sandbox-"), "a Google token leaked: \(text)", sourceLocation: sourceLocation)
        }
    }

    /// What ceauth itself sent to the token endpoint (not Cloud Elements' refreshes).
    func ceauthTokenForms(_ harness: LoginHarness) -> [[String: String]] {
        harness.google.tokenForms.current.filter { $0["grant_type"] == "authorization_code" }
    }

    @Test(arguments: [("gmail", false), ("googlecalendar", true)])
    func localExchangeRedeemsWithPKCEAndHandsCloudElementsTheRefreshToken(element: String, events: Bool) async throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        var arguments = ["login", element, "--exchange", "local", "--no-browser", "--json"]
        if events { arguments += ["--events-url", "https://hooks.example.com/ce"] }
        let run = try await run(arguments, environment: harness.environment, browser: browser)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // The authorization URL carried an S256 challenge of 43 characters.
        let query = try #require(harness.google.authorizationRequests.current.first)
        #expect(query["code_challenge_method"] == "S256")
        #expect(query["code_challenge"]?.count == 43)
        // ceauth redeemed the code once, with a verifier whose S256 is that challenge (the
        // emulator checks it with its own SHA-256), and the redirect URI of the request.
        let forms = ceauthTokenForms(harness)
        #expect(forms.count == 1)
        let form = try #require(forms.first)
        #expect(form["code_verifier"]?.count == 43)
        #expect(try PKCE.s256Challenge(verifier: form["code_verifier"] ?? "") == query["code_challenge"])
        #expect(form["redirect_uri"] == query["redirect_uri"])
        // Cloud Elements got the token body: no code, the refresh token Google issued, the scope.
        let body = try #require(harness.cloudElements.bodies.current.first)
        #expect(body["externalAuthentication"] == .string("initial"))
        #expect(body["providerData"] == nil)
        let configuration = try #require(body["configuration"]?.objectValue)
        let refresh = try #require(configuration["oauth.user.refresh_token"]?.stringValue)
        #expect(harness.google.refreshTokens.current[refresh]?.revoked == false)
        #expect(configuration["oauth.callback.url"] == nil)
        #expect(configuration["oauth.api.key"] == .string(SandboxSecrets.clientID))
        #expect(configuration["oauth.scope"]?.stringValue?.isEmpty == false)
        #expect((configuration["event.notification.enabled"] == .bool(true)) == events)
        #expect((configuration["event.poller.configuration"] != nil) == events)
        #expect(browser.page.current?.status == 200)
        #expect(harness.keyfileEntries().count == 1)
        #expect(run.stderr.contains("redeeming it at 127.0.0.1 with this sign-in's PKCE verifier"))
        expectNoSecrets(run)
        expectNoGoogleTokens(run, harness, page: browser.page.current?.body)
    }

    /// RFC 9700's code injection: another client's code, obtained with its own challenge and
    /// delivered with this sign-in's (leaked) state, fails at redemption; nothing is created.
    @Test func anInjectedCodeIsRefusedAtRedemption() async throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let authorize = harness.google.authorizeURL
        browser.tamper = { location in
            // The attacker's own authorization, with its own verifier, for the same redirect URI.
            guard let parts = URLComponents(string: location), let state = parts.queryItems?.first(where: { $0.name == "state" })?.value,
                  let port = parts.port else { return location }
            let redirect = "http://127.0.0.1:\(port)/"
            let challenge = (try? PKCE.s256Challenge(verifier: String(repeating: "a", count: 43))) ?? ""
            let theirs = FormEncoding.query([("client_id", SandboxSecrets.clientID), ("redirect_uri", redirect), ("response_type", "code"),
                                             ("scope", CLITests.gmailScopes.joined(separator: " ")), ("state", "attacker"),
                                             ("access_type", "offline"), ("prompt", "consent"),
                                             ("code_challenge", challenge), ("code_challenge_method", "S256")])
            guard let answer = try? RawHTTP.request(authorize + "?" + theirs), let their = answer.headers["location"],
                  let code = URLComponents(string: their)?.queryItems?.first(where: { $0.name == "code" })?.value else { return location }
            return redirect + "?" + FormEncoding.query([("state", state), ("code", code), ("scope", CLITests.gmailScopes.joined(separator: " ")),
                                                        ("iss", "https://accounts.google.com")])
        }
        let run = try await run(["login", "gmail", "--exchange", "local", "--no-browser"], environment: harness.environment, browser: browser)
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("Invalid code verifier") && run.stderr.contains("code injection"))
        #expect(run.stderr.contains("Nothing was created"))
        #expect(harness.cloudElements.postCount == 0)
        #expect(harness.keyfileEntries().isEmpty)
        #expect(browser.page.current?.status == 400)
        #expect(ceauthTokenForms(harness).count == 1)
        expectNoSecrets(run)
    }

    @Test(arguments: ["cloud-elements", "local"])
    func aPartialGrantFromTheRedirectIsRefusedInBothModes(mode: String) async throws {
        let harness = try LoginHarness(google: .grant(["https://mail.google.com/"]))
        let browser = TestBrowser()
        let run = try await run(["login", "gmail", "--exchange", mode, "--no-browser"], environment: harness.environment, browser: browser)
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("the permission https://www.googleapis.com/auth/gmail.settings.basic was not granted"))
        #expect(run.stderr.contains("leave every permission ticked"))
        #expect(browser.page.current?.status == 400)
        #expect(browser.page.current?.body.contains("https://www.googleapis.com/auth/gmail.settings.basic") == true)
        // The code went nowhere: neither to Cloud Elements nor to Google's token endpoint.
        #expect(harness.cloudElements.postCount == 0)
        #expect(harness.google.tokenRequests.current == 0)
        #expect(harness.keyfileEntries().isEmpty)
    }

    /// Only the token response shows the partial grant: the refresh token is revoked, nothing created.
    @Test func aPartialGrantInTheTokenResponseIsRevokedAndRefused() async throws {
        let harness = try LoginHarness()
        harness.google.tokenScopeOverride.with { $0 = ["https://mail.google.com/"] }
        let run = try await run(["login", "gmail", "--exchange", "local", "--no-browser"], environment: harness.environment, browser: TestBrowser())
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("gmail.settings.basic was not granted"))
        #expect(run.stderr.contains("Revoked the Google token ceauth received"))
        let revoked = harness.google.revocations.current
        #expect(revoked.count == 1)
        #expect(harness.google.refreshTokens.current[revoked.first ?? ""]?.revoked == true)
        #expect(harness.cloudElements.postCount == 0)
        expectNoGoogleTokens(run, harness)
    }

    /// Equivalent spellings (no trailing slash, Google's short forms) and extra scopes pass.
    @Test func equivalentScopeSpellingsAndMoreThanAskedAreAccepted() async throws {
        let harness = try LoginHarness()
        harness.google.tokenScopeOverride.with {
            $0 = ["openid", "email", "https://mail.google.com", "https://www.googleapis.com/auth/gmail.settings.basic"]
        }
        let run = try await run(["login", "gmail", "--exchange", "local", "--no-browser", "--scope", "email",
                           "--scope", "https://mail.google.com/ https://www.googleapis.com/auth/gmail.settings.basic"],
                          environment: harness.environment, browser: TestBrowser())
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(Scopes.missing(required: ["https://www.googleapis.com/auth/userinfo.email", "https://mail.google.com/"],
                               granted: ["email", "https://mail.google.com", "https://www.googleapis.com/auth/calendar"]).isEmpty)
        #expect(Scopes.missing(required: ["https://mail.google.com/"], granted: ["https://mail.google.com/extra"]) == ["https://mail.google.com/"])
    }

    @Test func noRefreshTokenIsAnErrorThatSaysWhy() async throws {
        let harness = try LoginHarness()
        // A template without prompt=consent: Google gives no refresh token (the account granted before).
        let templates = TemporaryDirectory()
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOfFile: repository.path + "/Templates/gmail.json", encoding: .utf8)
        try source.replacingOccurrences(of: "\"prompt\": \"consent\"", with: "\"include_granted_scopes\": \"true\"")
            .write(toFile: templates.path + "/gmail.json", atomically: true, encoding: .utf8)
        let run = try await run(["login", "gmail", "--exchange", "local", "--no-browser", "--templates", templates.path],
                          environment: harness.environment, browser: TestBrowser())
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("Google gave no refresh token"))
        #expect(run.stderr.contains("https://myaccount.google.com/permissions"))
        #expect(harness.google.revocations.current.count == 1)
        #expect(harness.cloudElements.postCount == 0)
        expectNoGoogleTokens(run, harness)
    }

    @Test func aCloudElementsRefusalRevokesTheGrantButNoAnswerDoesNot() async throws {
        let refused = try LoginHarness(cloudElements: .fail(status: 400, body: Data(#"{"message":"Bad configuration","requestId":"r1"}"#.utf8)))
        let run = try await run(["login", "gmail", "--exchange", "local", "--no-browser"], environment: refused.environment, browser: TestBrowser())
        #expect(run.status == 4, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("Revoked the Google token ceauth received, since the instance was not created"))
        let revoked = refused.google.revocations.current
        #expect(revoked.count == 1 && refused.google.refreshTokens.current[revoked[0]]?.revoked == true)
        expectNoGoogleTokens(run, refused)

        let hung = try LoginHarness(cloudElements: .hang)
        let silent = try await self.run(["login", "gmail", "--exchange", "local", "--no-browser", "--request-timeout", "2"],
                                  environment: hung.environment, browser: TestBrowser())
        #expect(silent.status == 7, "stderr: \(silent.stderr)")
        #expect(silent.stderr.contains("was not revoked: the instance may exist"))
        #expect(hung.google.revocations.current.isEmpty)
        expectNoGoogleTokens(silent, hung)
    }

    @Test func aRefreshTokenThatExpiresIsAnnounced() async throws {
        let harness = try LoginHarness()
        harness.google.refreshTokenLifetime.with { $0 = 604_800 }
        let run = try await run(["login", "googlecalendar", "--exchange", "local", "--no-browser"], environment: harness.environment,
                          browser: TestBrowser())
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("Google says this refresh token expires in 7 days"))
        #expect(run.stderr.contains("Testing status"))
    }

    /// --update, a profile's `exchange = local`, and --dry-run.
    @Test func localExchangeWorksWithUpdateProfilesAndDryRun() async throws {
        let harness = try LoginHarness()
        var environment = harness.environment
        let set = try await run(["config", "set", "exchange", "local"], environment: environment)
        #expect(set.status == 0, "stderr: \(set.stderr)")
        let created = try await run(["login", "gmail", "--no-browser", "--name", "pkce-mail"], environment: environment, browser: TestBrowser())
        #expect(created.status == 0, "stderr: \(created.stderr)")
        #expect(harness.google.authorizationRequests.current.last?["code_challenge"] != nil, "the profile's exchange = local applies")
        let updated = try await run(["login", "gmail", "--no-browser", "--update", "pkce-mail"], environment: environment, browser: TestBrowser())
        #expect(updated.status == 0, "stderr: \(updated.stderr)")
        #expect(harness.cloudElements.calls.current.contains { $0.hasPrefix("PUT /elements/api-v2/instances/") })
        #expect(harness.cloudElements.bodies.current.last?["externalAuthentication"] == .string("initial"))
        #expect(harness.keyfileEntries().count == 1)
        expectNoGoogleTokens(updated, harness)
        // A flag wins over the profile.
        environment["CEAUTH_PROFILE"] = nil
        let dry = try await run(["login", "gmail", "--exchange", "local", "--dry-run"], environment: environment)
        #expect(dry.status == 0, "stderr: \(dry.stderr)")
        #expect(dry.stdout.contains("code_challenge_method=S256"))
        #expect(dry.stdout.contains("client_secret=$CEAUTH_CLIENT_SECRET") && dry.stdout.contains("code_verifier="))
        #expect(dry.stdout.contains("\"externalAuthentication\":\"initial\""))
        #expect(harness.google.tokenRequests.current == ceauthTokenForms(harness).count + harness.google.tokenForms.current.filter { $0["grant_type"] == "refresh_token" }.count)
        let cloud = try await run(["login", "gmail", "--exchange", "cloud-elements", "--dry-run"], environment: environment)
        #expect(!cloud.stdout.contains("code_challenge"))
        let wrong = try await run(["login", "gmail", "--exchange", "server"], environment: environment)
        #expect(wrong.status == 64 && wrong.stderr.contains("give cloud-elements"))
        expectNoSecrets(dry)
    }

    /// --paste: the pasted address's code is redeemed with this run's verifier, like the listener's.
    @Test func localExchangeWithAPastedAddress() async throws {
        let harness = try LoginHarness()
        let run = try await run(["login", "gmail", "--exchange", "local", "--paste", "--no-browser"], environment: harness.environment,
                          paste: Self.pasteLines)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(ceauthTokenForms(harness).count == 1)
        #expect(harness.cloudElements.bodies.current.first?["externalAuthentication"] == .string("initial"))
        expectNoGoogleTokens(run, harness)
    }

    @Test func localExchangeInTheSandboxThroughTheConsentPage() async throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let run = try await run(["login", "gmail", "--sandbox", "--exchange", "local", "--no-browser"], environment: bareEnvironment(harness), browser: browser)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(browser.consentPage.current != nil)
        #expect(run.stderr.contains("PKCE verifier"))
        expectNoGoogleTokens(run, harness, page: browser.page.current?.body)
        // Unticking a permission on the consent page is a partial grant.
        let partial = TestBrowser()
        partial.untick = ["https://mail.google.com/"]
        let refused = try await self.run(["login", "gmail", "--sandbox", "--no-browser"], environment: bareEnvironment(harness), browser: partial)
        #expect(refused.status == 3, "stderr: \(refused.stderr)")
        #expect(refused.stderr.contains("the permission https://mail.google.com/ was not granted"))
    }
}
