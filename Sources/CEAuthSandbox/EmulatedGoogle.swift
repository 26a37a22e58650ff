#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CEAuthCore

/// Google's authorization, token and revocation endpoints, as the reference describes them.
/// - Authorization: checks the client and the loopback redirect, then (as a person would) shows
///   a consent page with the scopes and Allow / Deny, or decides at once for tests; redirects
///   with code, state, the granted scope, iss. A challenge must be S256 (plain is refused).
/// - Token (RFC 6749 4.1.3, RFC 7636 4.6): a code once, for its client and redirect_uri; a code
///   issued with a challenge needs the verifier ("Missing code verifier."); a refresh token only
///   for access_type=offline with prompt=consent. Also grant_type=refresh_token.
/// - Revocation (RFC 7009 as Google runs it): POST token=...; 200, or 400 invalid_token.
public final class EmulatedGoogle: @unchecked Sendable {
    public struct IssuedCode: Sendable {
        public var clientID: String
        public var redirectURI: String
        public var challenge: String?
        public var scopes: [String]
        public var offline: Bool
        public var used = false
    }

    /// A refresh token handed out, and whether it was revoked.
    public struct Grant: Sendable {
        public var clientID: String
        public var scopes: [String]
        public var revoked = false
    }

    public enum Behaviour: Sendable {
        /// Approve every scope at once (a test's person who clicks Allow).
        case consent
        /// Deny at once (`error=access_denied`).
        case deny
        /// Show the consent page and wait for a person (the sandbox).
        case ask
        /// Approve at once with only these scopes: a person unticked the others.
        case grant([String])
    }

    public static let issuer = "https://accounts.google.com"

    public let behaviour: Locked<Behaviour>
    public let codes = Locked<[String: IssuedCode]>([:])
    public let authorizationRequests = Locked<[[String: String]]>([])
    public let tokenRequests = Locked<Int>(0)
    /// Each token request's form, in order (with the secrets it carried).
    public let tokenForms = Locked<[[String: String]]>([])
    public let refreshTokens = Locked<[String: Grant]>([:])
    /// Each token a revocation request named, in order.
    public let revocations = Locked<[String]>([])
    /// `refresh_token_expires_in` for new refresh tokens (apps in Testing status: 7 days); nil leaves it out.
    public let refreshTokenLifetime = Locked<Int?>(nil)
    /// The `scope` the token response reports instead of the granted one (a partial grant that
    /// only the token response shows).
    public let tokenScopeOverride = Locked<[String]?>(nil)
    /// Changes the answer to a redeemed code before it is sent (a broken or hostile token
    /// endpoint, for the tests: a lifetime of 1e300, no access token).
    public let tokenAnswerEdit = Locked<(@Sendable ([String: JSONValue]) -> [String: JSONValue])?>(nil)
    /// Consent pages shown and not yet answered: their id, and the request they came from.
    private let pending = Locked<[String: [String: String]]>([:])
    private(set) var server: EmulatorServer!

    public var baseURL: String { server.baseURL }
    public var authorizeURL: String { server.baseURL + "/o/oauth2/v2/auth" }
    public var tokenURL: String { server.baseURL + "/token" }
    public var revokeURL: String { server.baseURL + "/revoke" }

    public init(_ behaviour: Behaviour = .consent, host: String = "127.0.0.1", port: UInt16 = 0) throws {
        self.behaviour = Locked(behaviour)
        server = try EmulatorServer(host: host, port: port) { [unowned self] request in self.handle(request) }
    }

    public func stop() { server.stop() }
    /// Down for the rest of its life: connections refused, the port kept from other servers.
    public func goDown() { server.goDown() }

    private func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        switch (request.method, request.path) {
        case ("GET", "/o/oauth2/v2/auth"): return authorize(request.query)
        case ("POST", "/o/oauth2/v2/consent"): return consent(request.form)
        case ("POST", "/token"): return token(request.form)
        case ("POST", "/revoke"): return revoke(request.form)
        default: return EmulatorResponse(status: 404, body: Data("Not Found".utf8))
        }
    }

    private static func errorPage(_ status: Int, _ text: String) -> EmulatorResponse {
        EmulatorResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Data(text.utf8))
    }

    private func authorize(_ query: [String: String]) -> EmulatorResponse {
        authorizationRequests.with { $0.append(query) }
        guard query["client_id"] == SandboxSecrets.clientID else {
            return Self.errorPage(401, "Error 401: invalid_client\nThe OAuth client was not found.")
        }
        guard query["response_type"] == "code", let redirect = query["redirect_uri"], query["state"] != nil,
              redirect.hasPrefix("http://127.0.0.1:") || redirect.hasPrefix("http://[::1]:") || redirect.hasPrefix("http://localhost:") else {
            return Self.errorPage(400, "Error 400: invalid_request")
        }
        if query["code_challenge"] != nil, query["code_challenge_method"] != "S256" {
            return Self.errorPage(400, "Error 400: invalid_request\nOnly code_challenge_method=S256 is accepted here.")
        }
        let asked = Self.scopes(query["scope"])
        switch behaviour.current {
        case .deny: return answer(query, [("error", "access_denied")])
        case .consent: return issue(query, granted: asked)
        case .grant(let scopes): return issue(query, granted: asked.filter { scopes.contains($0) })
        case .ask:
            let id = (try! Crypto.randomBytes(count: 16)).base64URLEncoded
            pending.with { $0[id] = query }
            return EmulatorResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8"),
                                                           ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")],
                                    body: Data(Self.consentPage(id: id, scopes: asked, hint: query["login_hint"]).utf8))
        }
    }

    /// The consent page's answer: Allow with the scopes left ticked, or Deny. Each page answers once.
    private func consent(_ form: [String: String]) -> EmulatorResponse {
        guard let id = form["consent"], let query = pending.with({ $0.removeValue(forKey: id) }) else {
            return Self.errorPage(400, "Error 400: this consent page was already answered or is unknown; start the sign-in again.")
        }
        guard form["decision"] == "allow" else { return answer(query, [("error", "access_denied")]) }
        let ticked = Set(form.keys.filter { $0.hasPrefix("scope:") }.map { String($0.dropFirst(6)) })
        return issue(query, granted: Self.scopes(query["scope"]).filter { ticked.contains($0) })
    }

    private func issue(_ query: [String: String], granted: [String]) -> EmulatorResponse {
        let code = "4/0A" + (try! Crypto.randomBytes(count: 24)).base64URLEncoded
        let offline = query["access_type"] == "offline" && (query["prompt"] ?? "").split(separator: " ").contains("consent")
        codes.with {
            $0[code] = IssuedCode(clientID: query["client_id"] ?? "", redirectURI: query["redirect_uri"] ?? "",
                                  challenge: query["code_challenge"], scopes: granted, offline: offline)
        }
        return answer(query, [("code", code), ("scope", granted.joined(separator: " ")), ("iss", Self.issuer),
                                ("authuser", "0"), ("prompt", "consent")])
    }

    private func answer(_ query: [String: String], _ items: [(String, String)]) -> EmulatorResponse {
        let redirect = query["redirect_uri"] ?? ""
        let all = [("state", query["state"] ?? "")] + items
        return EmulatorResponse(status: 302, headers: [("Location", redirect + (redirect.contains("?") ? "&" : "?") + FormEncoding.query(all))])
    }

    static func scopes(_ text: String?) -> [String] { (text ?? "").split(separator: " ").map(String.init) }

    private static func tokenError(_ status: Int, _ error: String, _ description: String) -> EmulatorResponse {
        .json(status, .object(["error": .string(error), "error_description": .string(description)]))
    }

    private func token(_ form: [String: String]) -> EmulatorResponse {
        tokenRequests.with { $0 += 1 }
        tokenForms.with { $0.append(form) }
        guard form["client_id"] == SandboxSecrets.clientID, form["client_secret"] == SandboxSecrets.clientSecret else {
            return Self.tokenError(401, "invalid_client", "Unauthorized")
        }
        switch form["grant_type"] {
        case "authorization_code": return redeem(form)
        case "refresh_token": return refresh(form)
        default: return Self.tokenError(400, "unsupported_grant_type", "Invalid grant_type: \(form["grant_type"] ?? "")")
        }
    }

    private func redeem(_ form: [String: String]) -> EmulatorResponse {
        guard let code = form["code"] else { return Self.tokenError(400, "invalid_request", "Missing required parameter: code") }
        let outcome = codes.with { codes -> Result<IssuedCode, EmulatorResponseBox> in
            guard var issued = codes[code], !issued.used else { return .failure(.init(Self.tokenError(400, "invalid_grant", "Malformed auth code."))) }
            guard issued.clientID == form["client_id"] else { return .failure(.init(Self.tokenError(400, "invalid_grant", "Unauthorized"))) }
            guard form["redirect_uri"] == issued.redirectURI else {
                return .failure(.init(Self.tokenError(400, "redirect_uri_mismatch", "Bad Request")))
            }
            if let challenge = issued.challenge {
                guard let verifier = form["code_verifier"] else { return .failure(.init(Self.tokenError(400, "invalid_grant", "Missing code verifier."))) }
                guard IndependentSHA256.s256(verifier) == challenge else {
                    return .failure(.init(Self.tokenError(400, "invalid_grant", "Invalid code verifier.")))
                }
            } else if form["code_verifier"] != nil {
                return .failure(.init(Self.tokenError(400, "invalid_grant", "Invalid code verifier.")))
            }
            // Used even when the answer is lost: a code is single use (RFC 6749 4.1.2).
            issued.used = true
            codes[code] = issued
            return .success(issued)
        }
        let issued: IssuedCode
        switch outcome {
        case .failure(let box): return box.response
        case .success(let value): issued = value
        }
        let scopes = tokenScopeOverride.current ?? issued.scopes
        var body: [String: JSONValue] = [
            "access_token": .string("ya29.sandbox-" + (try! Crypto.randomBytes(count: 18)).base64URLEncoded),
            "expires_in": .integer(3599), "token_type": .string("Bearer"), "scope": .string(scopes.joined(separator: " ")),
        ]
        if issued.offline {
            let refresh = "1//sandbox-" + (try! Crypto.randomBytes(count: 24)).base64URLEncoded
            refreshTokens.with { $0[refresh] = Grant(clientID: issued.clientID, scopes: scopes) }
            body["refresh_token"] = .string(refresh)
            if let lifetime = refreshTokenLifetime.current { body["refresh_token_expires_in"] = .integer(Int64(lifetime)) }
        }
        if let edit = tokenAnswerEdit.current { body = edit(body) }
        return .json(200, .object(body))
    }

    private func refresh(_ form: [String: String]) -> EmulatorResponse {
        guard let token = form["refresh_token"], let grant = refreshTokens.current[token], !grant.revoked,
              grant.clientID == form["client_id"] else {
            return Self.tokenError(400, "invalid_grant", "Token has been expired or revoked.")
        }
        return .json(200, .object([
            "access_token": .string("ya29.sandbox-" + (try! Crypto.randomBytes(count: 18)).base64URLEncoded),
            "expires_in": .integer(3599), "token_type": .string("Bearer"), "scope": .string(grant.scopes.joined(separator: " ")),
        ]))
    }

    private func revoke(_ form: [String: String]) -> EmulatorResponse {
        let token = form["token"] ?? ""
        revocations.with { $0.append(token) }
        let known = refreshTokens.with { tokens -> Bool in
            guard tokens[token] != nil, tokens[token]?.revoked == false else { return false }
            tokens[token]?.revoked = true
            return true
        }
        return known ? .json(200, .object([:])) : Self.tokenError(400, "invalid_token", "Token expired or revoked")
    }

    /// The page a person sees: who asks, each scope as a ticked box (untick to grant less), Allow and Deny.
    static func consentPage(id: String, scopes: [String], hint: String?) -> String {
        let boxes = scopes.map { scope in
            let value = HTMLPage.escape(scope)
            return "<li><label><input type=\"checkbox\" name=\"scope:\(value)\" value=\"on\" checked> <code>\(value)</code></label></li>"
        }.joined(separator: "\n")
        let account = hint.map { "<p>Account: <b>\(HTMLPage.escape($0))</b></p>" } ?? ""
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <meta name="color-scheme" content="light dark"><title>Sign in – ceauth sandbox</title>
        <style>
        body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}
        .card{border:1px solid #8884;border-radius:12px;padding:1.5rem}
        ul{padding-left:1.2rem} code{font-size:.9em}
        button{font:inherit;padding:.5rem 1.5rem;border-radius:6px;border:1px solid #8888;margin-right:.5rem;cursor:pointer}
        #allow{background:#1a73e8;color:#fff;border-color:#1a73e8}
        .note{color:#888;font-size:.9em}
        </style></head>
        <body><main class="card">
        <h1>ceauth sandbox wants access to your Google Account</h1>
        \(account)
        <p>This is the sandbox's emulated Google: no real account is used. The app asks for:</p>
        <form method="post" action="/o/oauth2/v2/consent">
        <input type="hidden" name="consent" value="\(HTMLPage.escape(id))">
        <ul>
        \(boxes)
        </ul>
        <p class="note">Untick a permission to grant less, as Google lets you.</p>
        <button id="allow" type="submit" name="decision" value="allow">Allow</button>
        <button id="deny" type="submit" name="decision" value="deny">Deny</button>
        </form>
        </main></body></html>
        """
    }
}

/// A response carried out of a locked section as an error.
struct EmulatorResponseBox: Error { let response: EmulatorResponse; init(_ response: EmulatorResponse) { self.response = response } }
