import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The steps of `ceauth login`, in order. The CLI and the end-to-end tests both run this.
public struct LoginFlow {
    public var plan: LoginPlan
    public var transport: any HTTPTransport
    public var library: TemplateLibrary
    /// Opens a URL in a browser; tests stand in for the person with a real HTTP client.
    public var openBrowser: @Sendable (URL) -> BrowserLauncher.Outcome
    /// Lines for the person at the terminal (stderr).
    public var say: @Sendable (String) -> Void
    /// Something the person should know that does not stop the flow (a folder narrowed); the
    /// caller says how it is marked.
    public var warn: @Sendable (String) -> Void
    /// The environment the flow runs in (the browser command, SSH_CONNECTION): the caller's.
    public var environment: [String: String]
    /// Extra detail with --verbose; never given secrets.
    public var log: @Sendable (String) -> Void
    /// The authorization URL's line (the CLI keeps it under --quiet); `say` unless set.
    public var showURL: (@Sendable (String) -> Void)?
    public var cancel: CancelSignal?
    /// With --paste, the next line of standard input (nil at its end); tests give their own.
    public var readPastedLine: @Sendable () -> StandardInput.Line = { StandardInput.readLine() }
    public var listenerLimits = LoopbackListener.Limits()
    /// How the listener binds an address; tests take 127.0.0.1 away to see the move to [::1].
    var bindListener: @Sendable (String, UInt16) throws(SocketError) -> Socket = { (host, port) throws(SocketError) in
        try Socket.listen(host: host, port: port)
    }

    public init(plan: LoginPlan, transport: any HTTPTransport, library: TemplateLibrary = .builtIn,
                openBrowser: (@Sendable (URL) -> BrowserLauncher.Outcome)? = nil,
                say: @escaping @Sendable (String) -> Void, warn: (@Sendable (String) -> Void)? = nil,
                log: @escaping @Sendable (String) -> Void = { _ in }, cancel: CancelSignal? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.plan = plan
        self.environment = environment
        self.warn = warn ?? say
        self.transport = transport
        self.library = library
        // The URL (and its state) is on the browser's argv, visible to other users in the process
        // list while it starts; --verbose names the command without it (README: Security).
        self.openBrowser = openBrowser ?? { url in
            BrowserLauncher.open(url: url, environment: environment, started: { log("started the browser: \($0)") })
        }
        self.say = say
        self.log = log
        self.cancel = cancel
    }

    public func run() throws -> LoginResult {
        // Fail on template or option problems before the browser opens and a code is spent.
        let placeholderTokens = plan.exchange == .local ? GrantedTokens(accessToken: Secret(""), refreshToken: Secret(""), scopes: plan.scopes) : nil
        let creator = InstanceCreator(plan: plan, transport: transport, log: log)
        _ = try creator.body(code: "", redirectURI: "", tokens: placeholderTokens)
        let successPage = try library.page("success.html")
        let failurePage = try library.page("failure.html")
        for warning in try KeyfileStore(path: plan.keyfilePath).preflight() { warn(warning) }
        // Re-authorizing: the instance as it is now, the base of the PUT (also proves it exists).
        let current: JSONValue?
        do {
            cancel?.checking(true)
            defer { cancel?.checking(false) }
            current = try creator.currentInstance()
        }
        if plan.preflight {
            log("checking the secrets and the element at \(plan.baseURL.absoluteString) (GET /elements/\(plan.template.key))")
            // Nothing is spent yet: Ctrl-C during this request may stop at once.
            cancel?.checking(true)
            defer { cancel?.checking(false) }
            try creator.client.preflight(element: plan.template.key)
        }

        let listener = try LoopbackListener(redirect: plan.redirect, limits: listenerLimits, bind: bindListener)
        // A stray request gets the failure page's layout in the notice tone.
        listener.strayPage = { status, reason in
            HTMLPage.render(failurePage, values: Self.stray(status: status, reason: reason).merging(["tone": "note"]) { _, tone in tone })
        }
        defer { listener.close() }
        log("listening on \(listener.addresses.joined(separator: " and ")) port \(listener.port)")

        let (state, verifier) = try StateVerifier.generate()
        // --exchange local: PKCE (RFC 7636). The verifier stays in this process's memory; only
        // its S256 challenge goes out, so a code taken by anyone else cannot be redeemed.
        var codeVerifier: String?
        var challenge: String?
        if plan.exchange == .local {
            let pkce = try PKCE.generateVerifier()
            challenge = try PKCE.s256Challenge(verifier: pkce)
            codeVerifier = pkce
        }
        let request = AuthorizationRequest(
            endpoint: plan.authorizeURL, clientID: plan.clientID, redirectURI: listener.redirectURI,
            scopes: plan.scopes, state: state, extraParameters: plan.template.authorization.parameters,
            loginHint: plan.loginHint, codeChallenge: challenge
        )
        let url = request.url
        say("Sign in to Google to connect \(plan.template.displayName) (\(plan.template.key)). Open this URL if no browser opens:")
        (showURL ?? say)(url.absoluteString)
        if plan.openBrowser { openBrowserInBackground(url) }
        say("Waiting for the redirect to \(listener.redirectURI) (timeout \(Int(plan.timeoutSeconds))s, Ctrl-C to cancel)...")

        let validator = CallbackValidator(expectedPath: plan.redirect.path, verifier: verifier,
                                          issuer: plan.template.authorization.issuer, requiredScopes: plan.scopes,
                                          element: plan.template.key)
        let pasted = plan.paste ? PasteChannel() : nil
        if let pasted { readPastes(into: pasted, validator: validator) }
        let pending: PendingRedirect
        do {
            defer { pasted?.close() }
            pending = try listener.waitForRedirect(validator: validator, timeoutSeconds: plan.timeoutSeconds,
                                                   cancel: cancel, pasted: pasted, notice: { say($0) }, log: log)
        } catch AuthorizationError.timedOut(let seconds) where plan.redirect.port != 0 {
            // With a fixed redirect URI the likeliest cause is Google refusing it in the browser.
            say("Nothing came back to \(listener.redirectURI). If Google showed redirect_uri_mismatch in the browser, register exactly \(listener.redirectURI) for the OAuth client (a Web application client needs the exact URI, port and path included).")
            throw AuthorizationError.timedOut(seconds: seconds)
        }
        let redirectArrived = monotonicSeconds()
        // The page shows text from the redirect and from Cloud Elements: it passes the same
        // filter as the terminal (escaped, redacted, then shortened).
        let safe = SafeText(redactor: Redactor([plan.credentials.userSecret.value, plan.credentials.organizationSecret.value,
                                                plan.clientSecret.value]))
        // One next step per page; the details are on the page and in the terminal.
        func fail(_ title: String, _ error: Error, next: String) -> Error {
            pending.respond(status: 400, html: HTMLPage.render(failurePage, values: [
                "title": title, "message": safe.lines("\(error)"), "next": next, "tone": "bad",
            ]))
            return error
        }

        let code: String
        switch pending.result {
        case .failure(let error):
            throw fail("Sign-in did not complete", error, next: "Go back to the terminal to start again.")
        case .code(let value):
            code = value
        }
        var tokens: GrantedTokens?
        var google: GoogleTokenClient?
        if let codeVerifier {
            let client = plan.tokenClient(transport: transport)
            say("Code received; redeeming it at \(plan.tokenURL.host ?? plan.tokenURL.absoluteString) with this sign-in's PKCE verifier...")
            do {
                tokens = try redeem(code, verifier: codeVerifier, redirectURI: listener.redirectURI, client: client)
            } catch {
                throw fail("Sign-in did not complete", error, next: "Go back to the terminal: it says what to do.")
            }
            google = client
        }
        say("\(tokens == nil ? "Code" : "Tokens") received; \(plan.reauthorize == nil ? "creating" : "re-authorizing") the instance at \(plan.baseURL.host ?? plan.baseURL.absoluteString)...")

        let instance: CreatedInstance
        do {
            // Ctrl-C now finishes the request already sent instead of losing what it creates.
            cancel?.sending(timeoutSeconds: Int(plan.requestTimeoutSeconds))
            defer { cancel?.sending(timeoutSeconds: nil) }
            instance = try creator.create(code: code, redirectURI: listener.redirectURI, tokens: tokens, current: current)
        } catch {
            if let google, let refresh = tokens?.refreshToken {
                // No instance holds the grant: take it back. If one may exist, it needs the grant.
                if let ce = error as? CloudElementsError, ce.nothingCreated {
                    revoke(refresh, at: google, because: "the instance was not created")
                } else {
                    say("The Google refresh token was not revoked: the instance may exist and would use it. If it does not, remove the app's access at https://myaccount.google.com/permissions.")
                }
            }
            throw fail("The instance was not created", error, next: "Go back to the terminal: it says what to do.")
        }
        let report: KeyfileStore.SaveReport
        do {
            report = try creator.save(instance)
        } catch {
            throw fail("The instance was created but not saved", error,
                       next: "Go back to the terminal and keep the id and token it shows.")
        }
        pending.respond(status: 200, html: HTMLPage.render(successPage, values: [
            "element": plan.template.displayName, "name": safe.value(instance.name), "id": String(instance.id),
        ]))
        return LoginResult(instance: instance, keyfilePath: plan.keyfilePath, redirectURI: listener.redirectURI,
                           warnings: report.warnings, secondsFromRedirectToDone: monotonicSeconds() - redirectArrived)
    }

    /// `--exchange local`: the code redeemed once at Google's token endpoint; a grant without a
    /// refresh token, or for less than the element needs, is taken back and refused.
    private func redeem(_ code: String, verifier: String, redirectURI: String, client: GoogleTokenClient) throws -> GrantedTokens {
        let tokens: GrantedTokens
        do {
            tokens = try client.redeem(code: code, redirectURI: redirectURI, verifier: verifier)
        } catch {
            guard case .unusableGrant(let refresh, let reason) = error else { throw error }
            Redactor.learn([refresh.value])
            revoke(refresh, at: client, because: "the answer had no usable access token")
            throw TokenExchangeError.badAnswer(reason: reason)
        }
        // From here on these are secrets of this run: no output, page or log shows them.
        Redactor.learn([tokens.accessToken.value] + (tokens.refreshToken.map { [$0.value] } ?? []))
        guard let refresh = tokens.refreshToken else {
            revoke(tokens.accessToken, at: client, because: "it came without a refresh token")
            throw TokenExchangeError.noRefreshToken
        }
        if let granted = tokens.scopes, let partial = Scopes.partialGrant(required: plan.scopes, granted: granted, element: plan.template.key) {
            revoke(refresh, at: client, because: "the grant lacks what \(plan.template.key) needs")
            throw partial
        }
        if let seconds = tokens.refreshTokenExpiresIn {
            let days = Double(seconds) / 86_400
            let date = LoginPlan.timestamp(Date().addingTimeInterval(Double(seconds))).prefix(10)
            say("Google says this refresh token expires in \(days < 2 ? "\(seconds / 3600) hours" : "\(Int(days.rounded())) days"), on \(date): the instance stops working then. (Apps whose consent screen is in Testing status get 7 days; publish it for longer-lived tokens.)")
        }
        return tokens
    }

    /// Revokes a Google token ceauth holds and says how that went.
    private func revoke(_ token: Secret, at client: GoogleTokenClient, because reason: String) {
        if let problem = client.revoke(token) {
            say("Could not revoke the Google token ceauth received (\(reason)): \(problem). Remove the app's access at https://myaccount.google.com/permissions.")
        } else {
            say("Revoked the Google token ceauth received, since \(reason): no live grant is left behind.")
        }
    }

    /// The page for a request that is not the sign-in's answer (an old tab, a bookmark, a typo).
    static func stray(status: Int, reason: String) -> [String: String] {
        let next = "Go back to the terminal where ceauth runs, and open the link it shows."
        switch status {
        case 400 where reason == CallbackValidator.wrongState || reason.contains("no state"):
            return ["title": "This sign-in link is old, or was not started here",
                    "message": "ceauth is waiting for another sign-in: this answer belongs to an earlier one, or to none.", "next": next]
        case 404:
            return ["title": "Nothing here", "message": "This address is ceauth's temporary sign-in listener, and this page is not part of it.", "next": next]
        case 421:
            return ["title": "Not for this address", "message": "This request was addressed to another host name than the sign-in's.", "next": next]
        default:
            return ["title": "This is not a sign-in answer", "message": reason, "next": next]
        }
    }

    /// With --paste, on its own thread: each line of standard input gets exactly the listener's
    /// checks (path, state, iss, error); the first that passes ends the wait, as a redirect would.
    /// Whichever comes first, the listener's redirect or a paste, wins.
    private func readPastes(into channel: PasteChannel, validator: CallbackValidator) {
        let (read, say) = (readPastedLine, say)
        say("Or paste here the address the browser ended on (the page may not load; the address bar has it) and press Enter:")
        DispatchQueue.global().async {
            while true {
                let line: String
                switch read() {
                case .end: return
                case .tooLong(let limit):
                    say("That line is not an address (\(StandardInput.tooLongReason(limit))); no more is read from standard input, and the listener keeps waiting for the browser.")
                    return
                case .line(let text): line = text
                }
                guard !line.trimmingWhitespace().isEmpty else { continue }
                let done = channel.offer {
                    guard let head = PastedRedirect.head(line) else {
                        say("That is not the address; paste the whole address from the browser's address bar.")
                        return nil
                    }
                    switch validator.decide(head) {
                    case .finish(let result):
                        return result
                    case .reject(_, let reason):
                        say("That address is not this sign-in's (\(reason)); paste the address the browser ended on, from the link printed above.")
                        return nil
                    }
                }
                if done { return }
            }
        }
    }

    /// On its own thread: a browser command may take seconds to start or stay in the
    /// foreground, and the listener must be serving by the time the redirect comes.
    private func openBrowserInBackground(_ url: URL) {
        let (open, say) = (openBrowser, say)
        let overSSH = environment["SSH_CONNECTION"] != nil
        for missing in BrowserLauncher.missingCommands(environment: environment) {
            say("BROWSER names '\(missing)', which is not an executable file or on PATH; check BROWSER (colon-separated commands, %s for the URL).")
        }
        DispatchQueue.global().async {
            switch open(url) {
            case .opened:
                break
            case .failed(let tried):
                let list = tried.isEmpty ? "no browser command was found" : "tried \(tried.joined(separator: ", "))"
                say("Could not open a browser (\(list)); open the URL above yourself.")
                if overSSH {
                    say("Over SSH, the redirect must reach this machine: run ceauth with a fixed port, e.g. --redirect-uri http://127.0.0.1:8085/, and forward it with ssh -L 8085:127.0.0.1:8085.")
                }
            }
        }
    }
}
