#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CEAuthCore

/// Thread-safe mutable state for the emulators.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = OS.Lock()
    private var value: Value
    public init(_ value: Value) { self.value = value }
    public func with<R>(_ body: (inout Value) -> R) -> R {
        lock.withLock { body(&value) }
    }
    public var current: Value { with { $0 } }
}

/// Test credentials, distinctive enough that a leak is found by a plain search of the output.
public enum SandboxSecrets {
    public static let user = "USERSECRET-5f1c9e7a"
    public static let org = "ORGSECRET-b2d48c31"
    public static let clientID = "1234-fakeclient.apps.googleusercontent.com"
    public static let clientSecret = "CLIENTSECRET-9a7e3d10"
    public static let all = [user, org, clientSecret]

    public static var environment: [String: String] {
        [
            "CEAUTH_USER_SECRET": user, "CEAUTH_ORG_SECRET": org,
            "CEAUTH_CLIENT_ID": clientID, "CEAUTH_CLIENT_SECRET": clientSecret,
        ]
    }
}

/// Google's authorization and token endpoints, as the reference describes them: the
/// authorization endpoint redirects to the loopback URI with code, state, scope, iss; the token
/// endpoint redeems a code once, for the same client and redirect_uri, and refuses a code issued
/// with a code_challenge when no code_verifier comes ("Missing code verifier.").
public final class EmulatedGoogle: @unchecked Sendable {
    public struct IssuedCode {
        public var clientID: String
        public var redirectURI: String
        public var challenge: String?
        public var used = false
    }

    public enum Behaviour: Sendable { case consent, deny }

    public let behaviour: Locked<Behaviour>
    public let codes = Locked<[String: IssuedCode]>([:])
    public let authorizationRequests = Locked<[[String: String]]>([])
    public let tokenRequests = Locked<Int>(0)
    private(set) var server: EmulatorServer!

    public var authorizeURL: String { server.baseURL + "/o/oauth2/v2/auth" }
    public var tokenURL: String { server.baseURL + "/token" }

    public init(_ behaviour: Behaviour = .consent) throws {
        self.behaviour = Locked(behaviour)
        server = try EmulatorServer { [unowned self] request in self.handle(request) }
    }

    public func stop() { server.stop() }

    private func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        switch (request.method, request.path) {
        case ("GET", "/o/oauth2/v2/auth"): return authorize(request.query)
        case ("POST", "/token"): return token(request.form)
        default: return EmulatorResponse(status: 404)
        }
    }

    private func authorize(_ query: [String: String]) -> EmulatorResponse {
        authorizationRequests.with { $0.append(query) }
        guard query["client_id"] == SandboxSecrets.clientID else {
            return EmulatorResponse(status: 401, body: Data("Error 401: invalid_client".utf8))
        }
        guard query["response_type"] == "code", let redirect = query["redirect_uri"], let state = query["state"],
              redirect.hasPrefix("http://127.0.0.1:") || redirect.hasPrefix("http://[::1]:") || redirect.hasPrefix("http://localhost:") else {
            return EmulatorResponse(status: 400, body: Data("Error 400: invalid_request".utf8))
        }
        var items: [(String, String)]
        switch behaviour.current {
        case .deny:
            items = [("error", "access_denied"), ("state", state)]
        case .consent:
            let code = "4/0Afake" + (try! Crypto.randomBytes(count: 12)).base64URLEncoded
            codes.with { $0[code] = IssuedCode(clientID: SandboxSecrets.clientID, redirectURI: redirect, challenge: query["code_challenge"]) }
            items = [("state", state), ("code", code), ("scope", query["scope"] ?? ""),
                     ("iss", "https://accounts.google.com"), ("authuser", "0"), ("prompt", "consent")]
        }
        return EmulatorResponse(status: 302, headers: [("Location", redirect + "?" + FormEncoding.query(items))])
    }

    private func token(_ form: [String: String]) -> EmulatorResponse {
        tokenRequests.with { $0 += 1 }
        func invalidGrant(_ text: String) -> EmulatorResponse {
            .json(400, .object(["error": .string("invalid_grant"), "error_description": .string(text)]))
        }
        guard form["client_id"] == SandboxSecrets.clientID, form["client_secret"] == SandboxSecrets.clientSecret else {
            return .json(401, .object(["error": .string("invalid_client"), "error_description": .string("Unauthorized")]))
        }
        guard form["grant_type"] == "authorization_code", let code = form["code"] else {
            return .json(400, .object(["error": .string("invalid_request")]))
        }
        return codes.with { codes -> EmulatorResponse in
            guard var issued = codes[code], !issued.used else { return invalidGrant("Malformed auth code.") }
            guard form["redirect_uri"] == issued.redirectURI else { return invalidGrant("Bad Request") }  // Google: redirect_uri_mismatch
            if let challenge = issued.challenge {
                guard let verifier = form["code_verifier"] else { return invalidGrant("Missing code verifier.") }
                guard (try? PKCE.s256Challenge(verifier: verifier)) == challenge else { return invalidGrant("Invalid code verifier.") }
            }
            issued.used = true
            codes[code] = issued
            return .json(200, .object([
                "access_token": .string("ya29.fake-access"), "refresh_token": .string("1//fake-refresh"),
                "expires_in": .integer(3599), "token_type": .string("Bearer"),
            ]))
        }
    }
}

/// Cloud Elements' `POST /instances`: checks the Authorization header and the body, redeems
/// the code at the (fake) Google token endpoint with `oauth.callback.url` as redirect_uri, and
/// answers with an instance whose `configuration` echoes secrets, like the real service.
public final class EmulatedCloudElements: @unchecked Sendable {
    public enum Behaviour: Sendable {
        case normal
        case fail(status: Int, body: Data)
        /// Any answer at all, for faults: huge bodies, dropped connections.
        case answer(EmulatorResponse)
        case hang
    }

    /// An instance the fake has created: what GET /instances/{id} and the ping look at.
    public struct Instance {
        public var token: String
        public var element: String
        public var name: String
        public var valid = true
        public var disabled = false

        public init(token: String, element: String, name: String, valid: Bool = true, disabled: Bool = false) {
            self.token = token
            self.element = element
            self.name = name
            self.valid = valid
            self.disabled = disabled
        }
    }

    public let behaviour: Locked<Behaviour>
    public let bodies = Locked<[JSONValue]>([])
    public let instances = Locked<[Int64: Instance]>([:])
    /// Requests other than POST /instances, as "METHOD path".
    public let calls = Locked<[String]>([])
    /// How many times login checked the element before the browser opened (GET /elements/{key}).
    public let elementChecks = Locked(0)
    /// The most GET /instances puts on one page (small in tests, to make paging happen).
    public let listPageSize = Locked(200)
    public let nextID = Locked<Int64>(480_000)
    public let answerTogether = Locked(0)
    public let google: EmulatedGoogle
    private(set) var server: EmulatorServer!

    public var baseURL: String { server.baseURL + "/elements/api-v2" }
    public var postCount: Int { bodies.current.count }

    public init(google: EmulatedGoogle, _ behaviour: Behaviour = .normal) throws {
        self.google = google
        self.behaviour = Locked(behaviour)
        server = try EmulatorServer { [unowned self] request in self.handle(request) }
    }

    public func stop() { server.stop() }

    public static let platformHeader = "User \(SandboxSecrets.user), Organization \(SandboxSecrets.org)"
    public static let hubs = ["gmail": "general", "googlecalendar": "scheduling"]

    /// `GET /instances/{id}` (platform header) and `GET /hubs/{hub}/ping` (with the Element token).
    private func get(_ request: EmulatorRequest) -> EmulatorResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        // login's check before the browser is counted apart, so `calls` shows what commands asked.
        if parts.count == 4 && parts[2] == "elements" { elementChecks.with { $0 += 1 } } else { calls.with { $0.append("GET " + request.path) } }
        let authorization = request.headers["authorization"] ?? ""
        switch (parts.count, parts.dropFirst(2).first) {
        case (4, "elements"):
            // The element's metadata (login's check before the browser opens).
            guard authorization == Self.platformHeader else {
                return Self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
            }
            guard let hub = Self.hubs[parts[3]] else { return Self.error(404, "No element found with key \(parts[3])") }
            return .json(200, .object(["key": .string(parts[3]), "name": .string(parts[3]), "hub": .string(hub)]))
        case (3, "instances"):
            // Paged as Cloud Elements pages: pageSize, nextPage=<token>, Elements-Next-Page-Token.
            guard authorization == Self.platformHeader else {
                return Self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
            }
            let query = request.query
            let size = Int(query["pageSize"] ?? "") ?? 200
            let pageSize = Swift.min(size, listPageSize.current)
            let offset = Int(query["nextPage"].flatMap { $0.hasPrefix("page-") ? String($0.dropFirst(5)) : nil } ?? "0") ?? 0
            let all = instances.current.sorted { $0.key < $1.key }
            let page = all.dropFirst(offset).prefix(pageSize)
            let items: [JSONValue] = page.map { id, instance in
                .object(["id": .integer(id), "name": .string(instance.name), "valid": .bool(instance.valid),
                         "disabled": .bool(instance.disabled), "element": .object(["key": .string(instance.element)])])
            }
            var response = EmulatorResponse.json(200, .array(items))
            if offset + pageSize < all.count { response.headers.append(("Elements-Next-Page-Token", "page-\(offset + pageSize)")) }
            return response
        case (4, "instances"):
            guard authorization == Self.platformHeader else {
                return Self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
            }
            guard let id = Int64(parts[3]), let instance = instances.current[id] else {
                return Self.error(404, "No instance found with id \(parts[3])")
            }
            return .json(200, .object([
                "id": .integer(id), "name": .string(instance.name), "valid": .bool(instance.valid), "disabled": .bool(instance.disabled),
                "element": .object(["key": .string(instance.element)]), "token": .string(instance.token),
            ]))
        case (5, "hubs") where parts[4] == "ping":
            let hub = parts[3]
            guard authorization.hasPrefix(Self.platformHeader + ", Element "),
                  let instance = instances.current.values.first(where: { authorization == Self.platformHeader + ", Element " + $0.token }),
                  Self.hubs[instance.element] == hub, instance.valid, !instance.disabled else {
                return Self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
            }
            return .json(200, .object(["endpoint": .string(hub), "dateTime": .string("2026-11-24T12:00:00Z")]))
        default:
            return Self.error(404, "No resource found at \(request.path)")
        }
    }

    /// `DELETE /instances/{id}` with the platform header: 200 and gone, or 404.
    private func delete(_ request: EmulatorRequest) -> EmulatorResponse {
        calls.with { $0.append("DELETE " + request.path) }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count == 4, parts[2] == "instances", let id = Int64(parts[3]) else {
            return Self.error(404, "No resource found at \(request.path)")
        }
        guard request.headers["authorization"] == Self.platformHeader else {
            return Self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
        }
        guard instances.with({ $0.removeValue(forKey: id) }) != nil else { return Self.error(404, "No instance found with id \(id)") }
        return .json(200, .object([:]))
    }

    public static func error(_ status: Int, _ message: String, provider: String? = nil) -> EmulatorResponse {
        var body: [String: JSONValue] = ["requestId": .string("5d6e7f80a1b2c3d4e5f60718"), "message": .string(message)]
        if let provider { body["providerMessage"] = .string(provider) }
        return .json(status, .object(body))
    }

    private func handle(_ request: EmulatorRequest) -> EmulatorResponse? {
        if request.method == "GET" { return get(request) }
        if request.method == "DELETE" { return delete(request) }
        // PUT /instances/{id}?reAuthenticate=true: the same body and redemption as a POST.
        var updating: Int64?
        if request.method == "PUT" {
            calls.with { $0.append("PUT " + request.target) }
            let parts = request.path.split(separator: "/").map(String.init)
            guard parts.count == 4, parts[2] == "instances", let id = Int64(parts[3]), request.query["reAuthenticate"] == "true" else {
                return Self.error(404, "No resource found at \(request.path)")
            }
            guard instances.current[id] != nil else { return Self.error(404, "No instance found with id \(id)") }
            updating = id
        } else if request.method != "POST" || request.path != "/elements/api-v2/instances" {
            return Self.error(404, "No resource found at \(request.path)")
        }
        let parsed = try? JSONValue.parse(request.body)
        bodies.with { $0.append(parsed ?? .null) }
        // Hold each answer until this many POSTs have come, so their clients go on together.
        let until = monotonicSeconds() + 10
        while bodies.current.count < answerTogether.current && monotonicSeconds() < until { OS.pause(seconds: 0.002) }
        switch behaviour.current {
        case .fail(let status, let body): return EmulatorResponse(status: status, body: body)
        case .answer(let response): return response
        case .hang: return nil
        case .normal: break
        }
        guard request.headers["authorization"] == "User \(SandboxSecrets.user), Organization \(SandboxSecrets.org)" else {
            return Self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
        }
        guard request.headers["content-type"]?.hasPrefix("application/json") == true else {
            return Self.error(415, "Unsupported media type")
        }
        guard let body = parsed, let key = body["element"]?["key"]?.stringValue, ["gmail", "googlecalendar"].contains(key),
              let code = body["providerData"]?["code"]?.stringValue,
              let configuration = body["configuration"]?.objectValue,
              let clientID = configuration["oauth.api.key"]?.stringValue,
              let clientSecret = configuration["oauth.api.secret"]?.stringValue,
              let callback = configuration["oauth.callback.url"]?.stringValue,
              let name = body["name"]?.stringValue else {
            return Self.error(400, "Invalid instance body")
        }
        // Server to server: the service redeems the code itself, with no code_verifier.
        let form = FormEncoding.query([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", callback),
                                       ("client_id", clientID), ("client_secret", clientSecret)])
        guard let redeemed = try? RawHTTP.request(google.tokenURL, method: "POST",
                                               headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                               body: Data(form.utf8)) else {
            return Self.error(502, "Provider unreachable")
        }
        guard redeemed.status == 200 else {
            return Self.error(400, "Error while retrieving the OAuth token from the provider", provider: redeemed.body)
        }
        let id = updating ?? nextID.with { id -> Int64 in id += 1; return id }
        let token = "INSTANCETOKEN-\(id)-" + (try! Crypto.randomBytes(count: 8)).base64URLEncoded
        // Re-authorized: a valid instance again, with a new token, under its old name.
        let kept = updating.flatMap { instances.current[$0]?.name } ?? name
        instances.with { $0[id] = Instance(token: token, element: key, name: kept) }
        var echoed = configuration
        echoed["oauth.user.token"] = .string("ya29.fake-access")
        echoed["oauth.user.refresh_token"] = .string("1//fake-refresh")
        return .json(200, .object([
            "id": .integer(id), "name": .string(kept),
            "token": .string(token),
            "element": .object(["id": .integer(key == "gmail" ? 3317 : 1432), "key": .string(key), "name": .string(key)]),
            "elementId": .integer(key == "gmail" ? 3317 : 1432), "valid": .bool(true), "disabled": .bool(false),
            "createdDate": .string("2026-11-23T11:00:00Z"), "tags": body["tags"] ?? .array([]),
            "configuration": .object(echoed), "eventsEnabled": body["configuration"]?["event.notification.enabled"] ?? .bool(false),
        ]))
    }
}
