import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The real `login` flow against fake Google and Cloud Elements on 127.0.0.1: a real listener
/// on a real port, the real URLSession transport, a real keyfile.
@Suite struct LoginFlowEndToEndTests {
    @Test(arguments: ["gmail", "googlecalendar"])
    func createsAndSavesAnInstance(element: String) throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let result = try harness.run(element, browser: browser) { $0.tags = ["Docs"]; $0.name = "E2E \(element)" }.get()

        // Google was asked for the element's scopes, offline access, no PKCE challenge.
        let asked = try #require(harness.google.authorizationRequests.current.first)
        let template = try TemplateLibrary.builtIn.element(element)
        #expect(asked["scope"] == template.authorization.scopes.joined(separator: " "))
        #expect(asked["access_type"] == "offline")
        #expect(asked["prompt"] == "consent")
        #expect(asked["code_challenge"] == nil)
        #expect(asked["redirect_uri"] == result.redirectURI)

        // Cloud Elements got one POST; it redeemed the code at Google with the same redirect URI.
        #expect(harness.cloudElements.postCount == 1)
        let body = try #require(harness.cloudElements.bodies.current.first)
        #expect(body["configuration"]?["oauth.callback.url"]?.stringValue == result.redirectURI)
        #expect(body["configuration"]?["event.notification.enabled"] == .bool(false))
        #expect(body["tags"] == .array([.string("Docs")]))
        #expect(harness.google.tokenRequests.current == 1)

        // The keyfile holds the instance, mode 0600 in a 0700 folder.
        let entries = harness.keyfileEntries()
        #expect(entries.count == 1)
        #expect(entries.first?["id"] == .integer(result.instance.id))
        #expect(entries.first?["token"]?.stringValue == result.instance.token.value)
        #expect(entries.first?["element"]?.stringValue == element)
        #expect(entries.first?["baseUrl"]?.stringValue == harness.cloudElements.baseURL)
        #expect(entries.first?["name"]?.stringValue == "E2E \(element)")
        #expect(fileMode(harness.keyfile) == 0o600)
        #expect(fileMode((harness.keyfile as NSString).deletingLastPathComponent) == 0o700)

        // The browser got the success page with the id, never the token.
        let page = try #require(browser.page.current)
        #expect(page.status == 200)
        #expect(page.body.contains(String(result.instance.id)))
        #expect(!page.body.contains(result.instance.token.value))
        #expect(page.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        #expect(page.headers["referrer-policy"] == "no-referrer")

        // Nothing said on the terminal carries a secret or the token.
        for secret in SandboxSecrets.all + [result.instance.token.value] {
            #expect(!harness.allOutput.contains(secret))
        }
        print("e2e \(element): redirect to done in \(String(format: "%.1f", result.secondsFromRedirectToDone * 1000)) ms")
    }

    @Test(arguments: ["http://localhost:PORT/oauth/callback", "http://[::1]:PORT/cb", "http://127.0.0.1:PORT/x/y"])
    func fixedRedirectURIIsUsedExactly(template: String) throws {
        if template.contains("::1"), (try? Socket.listen(host: "::1", port: 0)) == nil { return }  // no IPv6 here
        let probe = try Socket.listen(host: "127.0.0.1", port: 0)
        let port = try probe.localPort()
        probe.close()
        let uri = template.replacingOccurrences(of: "PORT", with: String(port))
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let result = try harness.run("gmail", browser: browser) { $0.redirectURI = uri }.get()
        #expect(result.redirectURI == uri)
        #expect(harness.google.authorizationRequests.current.first?["redirect_uri"] == uri)
        #expect(harness.cloudElements.bodies.current.first?["configuration"]?["oauth.callback.url"]?.stringValue == uri)
        #expect(browser.page.current?.status == 200)
    }

    @Test func withoutIPv4LoopbackTheWholeFlowRunsOnIPv6() throws {
        guard (try? Socket.listen(host: "::1", port: 0)) != nil else { return }  // no IPv6 loopback here
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let result = try harness.run("gmail", browser: browser, bind: ListenerTests.noIPv4).get()
        #expect(result.redirectURI.hasPrefix("http://[::1]:"))
        // The same [::1] URI went to Google and to Cloud Elements, and the browser came back on it.
        #expect(harness.google.authorizationRequests.current.first?["redirect_uri"] == result.redirectURI)
        let body = try #require(harness.cloudElements.bodies.current.first)
        #expect(body["configuration"]?["oauth.callback.url"]?.stringValue == result.redirectURI)
        #expect(browser.page.current?.status == 200)
        #expect(harness.keyfileEntries().count == 1)
    }

    @Test func eventsAndCalendarIDReachCloudElements() throws {
        let harness = try LoginHarness()
        _ = try harness.run("googlecalendar") {
            $0.eventsURL = "https://hooks.example.com/ce"
            $0.pollIntervalMinutes = 5
            $0.calendarID = "team@group.calendar.google.com"
        }.get()
        let configuration = try #require(harness.cloudElements.bodies.current.first?["configuration"])
        #expect(configuration["event.notification.enabled"] == .bool(true))
        #expect(configuration["event.notification.callback.url"] == .string("https://hooks.example.com/ce"))
        #expect(configuration["event.poller.refresh_interval"] == .string("5"))
        let poller = configuration["event.poller.configuration"]?["calendars/{calendarId}/changed-events"]
        #expect(poller?["url"] == .string("/hubs/scheduling/calendars/team@group.calendar.google.com/changed-events"))
    }

    @Test func aBrowserThatDoesNotOpenIsReportedAndTheFlowGoesOn() throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        browser.failsToOpen = true
        let result = try harness.run("gmail", browser: browser).get()
        // The report comes from the opener's thread; give it a moment (bounded).
        let notice = "Could not open a browser (tried xdg-open); open the URL above yourself."
        for _ in 0..<100 where !harness.output.current.contains(notice) { usleep(20_000) }
        let lines = harness.output.current
        #expect(lines.contains(notice))
        // The URL stands on a line of its own, before the wait.
        #expect(lines.contains(try #require(browser.opened.current.first).absoluteString))
        #expect(harness.keyfileEntries().first?["id"] == .integer(result.instance.id))
    }

    @Test func aForegroundBrowserDoesNotDelayTheRedirect() throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        browser.openBlocksFor = 3
        let started = monotonicSeconds()
        _ = try harness.run("gmail", browser: browser).get()
        #expect(monotonicSeconds() - started < 2.5)
    }

    @Test func templateProblemsStopTheFlowBeforeTheBrowserOpens() throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let result = harness.run("gmail", browser: browser) { $0.eventsURL = "https://h.example"; $0.calendarID = "x" }
        guard case .failure(let error) = result else { Issue.record("expected a failure"); return }
        #expect(error as? TemplateError == .unsupportedParameter(option: "--calendar-id", element: "gmail"))
        #expect(browser.opened.current.isEmpty)
        #expect(harness.google.authorizationRequests.current.isEmpty)
    }

    @Test func consentDeniedEndsTheFlowWithoutAPost() throws {
        let harness = try LoginHarness(google: .deny)
        let browser = TestBrowser()
        let result = harness.run("gmail", browser: browser)
        guard case .failure(let error) = result else { Issue.record("expected a failure"); return }
        #expect(error as? AuthorizationError == .denied(OAuthErrorResponse(code: "access_denied")))
        #expect("\(error)".contains("consent was denied in the browser"))
        #expect(harness.cloudElements.postCount == 0)
        #expect(browser.page.current?.status == 400)
        #expect(browser.page.current?.body.contains("consent was denied") == true)
        #expect(harness.keyfileEntries().isEmpty)
    }

    @Test func forgedStateIsRefusedAndTheGenuineRedirectStillWins() throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let forged = Locked<[RawResponse]>([])
        browser.beforeRedirect = { redirect in
            let base = "http://127.0.0.1:\(redirect.port!)"
            let attempts = [
                base + "/?code=attacker-code&state=forged-state",
                base + "/?code=attacker-code",
                base + "/favicon.ico",
                base + "/?error=access_denied&state=forged",
            ]
            for url in attempts {
                if let answer = try? RawHTTP.request(url) { forged.with { $0.append(answer) } }
            }
            if let answer = try? RawHTTP.request(base + "/", method: "POST") { forged.with { $0.append(answer) } }
        }
        let result = try harness.run("gmail", browser: browser).get()
        #expect(forged.current.map(\.status) == [400, 400, 404, 400, 405])
        #expect(harness.cloudElements.postCount == 1)
        #expect(harness.cloudElements.bodies.current.first?["providerData"]?["code"]?.stringValue?.hasPrefix("4/0A") == true)
        #expect(browser.page.current?.status == 200)
        #expect(harness.keyfileEntries().first?["id"] == .integer(result.instance.id))
    }

    /// A wrong secret is found before the browser opens: no consent is spent on it.
    @Test func aWrongSecretIsRefusedBeforeTheBrowserOpens() throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let result = harness.run("gmail", browser: browser, environment: ["CEAUTH_USER_SECRET": "wrong-user-secret"])
        guard case .failure(let error) = result, case .callRefused(_, 401, let message, let requestID)? = error as? CloudElementsError else {
            Issue.record("expected the check before the browser to be refused, got \(result)")
            return
        }
        #expect(message?.contains("Invalid Organization or User secret") == true && requestID == "5d6e7f80a1b2c3d4e5f60718")
        #expect("\(error)".contains("GET /elements/gmail (the check before the browser opens)"))
        #expect("\(error)".contains("check CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET"))
        #expect(browser.opened.current.isEmpty)
        #expect(harness.cloudElements.postCount == 0)
        // An element Cloud Elements does not have is found the same way.
        let client = CloudElementsClient(baseURL: URL(string: harness.cloudElements.baseURL)!,
                                         credentials: CloudElementsCredentials(userSecret: Secret(SandboxSecrets.user), organizationSecret: Secret(SandboxSecrets.org)),
                                         transport: CurlTransport(environment: [:]), timeoutSeconds: 5)
        #expect(throws: Never.self) { try client.preflight(element: "gmail") }
        #expect {
            try client.preflight(element: "outlook")
        } throws: { error in
            "\(error)".contains("Cloud Elements has no element 'outlook' here")
        }
    }

    @Test func unauthorizedFromCloudElementsShowsMessageAndRequestID() throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let result = harness.run("gmail", browser: browser, environment: ["CEAUTH_USER_SECRET": "wrong-user-secret"],
                                 configure: { $0.preflight = false })
        guard case .failure(let error) = result, case .refused(let status, let message, _, let requestID)? = error as? CloudElementsError else {
            Issue.record("expected Cloud Elements to refuse, got \(result)")
            return
        }
        #expect(status == 401)
        #expect(message?.contains("Invalid Organization or User secret") == true)
        #expect(requestID == "5d6e7f80a1b2c3d4e5f60718")
        #expect("\(error)".contains("check CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET"))
        #expect(!"\(error)".contains("wrong-user-secret"))
        #expect(harness.cloudElements.postCount == 1)
        #expect(browser.page.current?.status == 400)
        #expect(browser.page.current?.body.contains("HTTP 401") == true)
        #expect(harness.keyfileEntries().isEmpty)
    }

    @Test func serverErrorFromCloudElementsIsReportedOncePerCode() throws {
        let body = EmulatedCloudElements.error(500, "Internal failure", provider: "upstream said no").body
        let harness = try LoginHarness(cloudElements: .fail(status: 500, body: body))
        let result = harness.run("googlecalendar")
        guard case .failure(let error) = result else { Issue.record("expected a failure"); return }
        let text = "\(error)"
        #expect(error as? CloudElementsError == .refused(status: 500, message: "Internal failure",
                                                         providerMessage: "upstream said no", requestID: "5d6e7f80a1b2c3d4e5f60718"))
        #expect(text.contains("HTTP 500") && text.contains("upstream said no") && text.contains("5d6e7f80a1b2c3d4e5f60718"))
        // No automatic retry: the code is single-use and a retry could create two instances.
        #expect(harness.cloudElements.postCount == 1)
    }

    @Test func expiredCodeIsExplained() throws {
        // Google refuses the code (as for an expired one); Cloud Elements passes that on as 400.
        let harness = try LoginHarness()
        let browser = TestBrowser()
        browser.beforeRedirect = { [google = harness.google] _ in
            google.codes.with { codes in for key in codes.keys { codes[key]?.used = true } }
        }
        let result = harness.run("gmail", browser: browser)
        guard case .failure(let error) = result else { Issue.record("expected a failure"); return }
        #expect("\(error)".contains("HTTP 400"))
        #expect("\(error)".contains("the authorization code was refused"))
        #expect("\(error)".contains("invalid_grant"))
    }

    @Test func aCodeChallengeWouldBreakTheFlow() throws {
        // Why ceauth sends no code_challenge: Cloud Elements redeems the code without a verifier,
        // and Google refuses such a code. Here the browser adds a challenge, as a PKCE-using
        // client would, and the instance cannot be created.
        let harness = try LoginHarness()
        let browser = TestBrowser()
        let challenge = try PKCE.s256Challenge(verifier: PKCE.generateVerifier())
        browser.extraAuthorizationQuery = "&code_challenge=\(challenge)&code_challenge_method=S256"
        let result = harness.run("gmail", browser: browser)
        guard case .failure(let error) = result, case .refused(400, _, let provider, _)? = error as? CloudElementsError else {
            Issue.record("expected Cloud Elements to refuse, got \(result)")
            return
        }
        #expect(provider?.contains("Missing code verifier.") == true)
        #expect(harness.keyfileEntries().isEmpty)
    }

    @Test func keyfileMergeKeepsEarlierInstances() throws {
        let harness = try LoginHarness()
        let first = try harness.run("gmail").get()
        let second = try harness.run("googlecalendar").get()
        let ids = harness.keyfileEntries().compactMap { entry -> Int64? in
            if case .integer(let id)? = entry["id"] { return id }
            return nil
        }
        #expect(ids == [first.instance.id, second.instance.id])
        #expect(fileMode(harness.keyfile) == 0o600)
    }

    @Test func keyfileThatFailsAfterCreationStillHandsOverIDAndToken() throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        // Between the early check and the save, the keyfile becomes a link to elsewhere, which
        // ceauth refuses to write through: the instance exists but cannot be saved.
        let keyfile = harness.keyfile
        let elsewhere = harness.directory.path + "/elsewhere.json"
        browser.beforeRedirect = { _ in
            try? FileManager.default.createDirectory(atPath: (keyfile as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
            _ = symlink(elsewhere, keyfile)
        }
        let result = harness.run("gmail", browser: browser)
        guard case .failure(let error) = result, let notSaved = error as? InstanceNotSaved else {
            Issue.record("expected InstanceNotSaved, got \(result)")
            return
        }
        #expect(notSaved.reason as? KeyfileError == .symlink(path: keyfile))
        #expect(notSaved.instance.token.value.hasPrefix("INSTANCETOKEN-"))
        #expect(notSaved.instance.id > 480_000)
        #expect(harness.cloudElements.postCount == 1)
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
        #expect(browser.page.current?.body.contains("created but not saved") == true)
        // The message itself does not print the token; the CLI prints it on purpose (see CLITests).
        #expect(!"\(error)".contains(notSaved.instance.token.value))
    }

    @Test func keyfileUnderARegularFileIsRefusedBeforeTheBrowserOpens() throws {
        let harness = try LoginHarness()
        let blocker = harness.directory.path + "/not-a-folder"
        _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let browser = TestBrowser()
        let result = harness.run("gmail", browser: browser) { $0.keyfile = blocker + "/sub/keys.json" }
        guard case .failure(let error) = result, case .io(let path, _, _)? = error as? KeyfileError else {
            Issue.record("expected a keyfile error, got \(result)")
            return
        }
        #expect(path == blocker)
        #expect(browser.opened.current.isEmpty)
        #expect(harness.cloudElements.postCount == 0)
    }

    @Test func unparseableKeyfileStopsBeforeTheCodeIsSpent() throws {
        let harness = try LoginHarness()
        try FileManager.default.createDirectory(atPath: (harness.keyfile as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: harness.keyfile))
        let browser = TestBrowser()
        let result = harness.run("gmail", browser: browser)
        guard case .failure(let error) = result, case .unparseable? = error as? KeyfileError else {
            Issue.record("expected an unparseable keyfile error, got \(result)")
            return
        }
        #expect(browser.opened.current.isEmpty)
        #expect(harness.cloudElements.postCount == 0)
        #expect(FileManager.default.contents(atPath: harness.keyfile) == Data("{ not json".utf8))
    }

    @Test func timeoutEndsTheWaitAndReleasesThePort() throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        browser.followsRedirect = false
        let started = monotonicSeconds()
        let result = harness.run("gmail", browser: browser, timeout: 1)
        let elapsed = monotonicSeconds() - started
        guard case .failure(let error) = result else { Issue.record("expected a timeout"); return }
        #expect(error as? AuthorizationError == .timedOut(seconds: 1))
        #expect(elapsed < 5)
        #expect(harness.cloudElements.postCount == 0)
        // The port is free again: the same redirect URI can be bound at once.
        let used = try #require(browser.opened.current.first.flatMap { URLComponents(url: $0, resolvingAgainstBaseURL: false) }?
            .queryItems?.first { $0.name == "redirect_uri" }?.value)
        let again = try LoopbackListener(redirect: LoopbackRedirect.parse(used))
        again.close()
    }

    @Test func noSecretInAnyOutputOnAnyPath() throws {
        // Success, denial, refusal and a hung server, all with verbose logging captured.
        var outputs: [String] = []
        let ok = try LoginHarness()
        _ = ok.run("gmail")
        outputs.append(ok.allOutput)
        let denied = try LoginHarness(google: .deny)
        _ = denied.run("gmail")
        outputs.append(denied.allOutput)
        let refused = try LoginHarness(cloudElements: .fail(status: 403, body: Data("forbidden, not json".utf8)))
        if case .failure(let error) = refused.run("gmail") { outputs.append("\(error)") }
        let hung = try LoginHarness(cloudElements: .hang)
        if case .failure(let error) = hung.run("gmail", configure: { $0.requestTimeoutSeconds = 1 }) {
            #expect(error as? CloudElementsError != nil)
            outputs.append("\(error)")
        }
        #expect(hung.cloudElements.postCount == 1)
        let all = outputs.joined(separator: "\n")
        #expect(all.contains("log: listening on 127.0.0.1"))
        for secret in SandboxSecrets.all {
            #expect(!all.contains(secret), "a secret leaked into the output")
        }
    }
}
