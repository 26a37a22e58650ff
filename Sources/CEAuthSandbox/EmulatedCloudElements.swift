#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CEAuthCore

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
        /// As Cloud Elements keeps it: what the body gave, with the OAuth tokens it redeemed
        /// (GET echoes all of it, secrets included, as the real service does).
        public var configuration: [String: JSONValue] = [:]
        public var tags: [JSONValue] = []

        public init(token: String, element: String, name: String, valid: Bool = true, disabled: Bool = false,
                    configuration: [String: JSONValue] = [:], tags: [JSONValue] = []) {
            self.token = token
            self.element = element
            self.name = name
            self.valid = valid
            self.disabled = disabled
            self.configuration = configuration
            self.tags = tags
        }
    }

    public let behaviour: Locked<Behaviour>
    public let bodies = Locked<[JSONValue]>([])
    /// The bodies of PATCH /instances/{id}, in order.
    public let patches = Locked<[JSONValue]>([])
    public let instances = Locked<[Int64: Instance]>([:])
    /// Requests other than POST /instances, as "METHOD path".
    public let calls = Locked<[String]>([])
    /// How many times login checked the element before the browser opened (GET /elements/{key}).
    public let elementChecks = Locked(0)
    /// The most GET /instances puts on one page (small in tests, to make paging happen).
    public let listPageSize = Locked(200)
    public let nextID = Locked<Int64>(480_000)
    public let answerTogether = Locked(0)
    /// Seconds each request waits before it is answered (an internet round trip, a slow host).
    public let latency = Locked<Double>(0)
    /// Every request as "METHOD path", recorded on arrival (before the latency).
    public let arrived = Locked<[String]>([])
    /// Answers a request before the emulator does, when it returns a response (a test's
    /// broken or hostile Cloud Elements: an error that echoes the Authorization header).
    public let intercept = Locked<(@Sendable (EmulatorRequest) -> EmulatorResponse?)?>(nil)
    public let google: EmulatedGoogle
    private(set) var server: EmulatorServer!

    /// Put before `/elements/api-v2` (the sandbox's `/sandbox`, which marks its instances).
    public let pathPrefix: String
    public var baseURL: String { server.baseURL + pathPrefix + "/elements/api-v2" }
    public var postCount: Int { bodies.current.count }
    /// Connections accepted so far (a client that keeps its connection alive opens fewer).
    public var connections: Int { server.connections.current }

    public init(google: EmulatedGoogle, _ behaviour: Behaviour = .normal, host: String = "127.0.0.1", port: UInt16 = 0,
                pathPrefix: String = "") throws {
        self.google = google
        self.behaviour = Locked(behaviour)
        self.pathPrefix = pathPrefix
        server = try EmulatorServer(host: host, port: port) { [unowned self] request in
            // Everything lives under the prefix; the rest of the emulator sees Cloud Elements' own paths.
            guard request.target.hasPrefix(self.pathPrefix + "/") else { return Self.error(404, "No resource found at \(request.path)") }
            var inner = request
            inner.target = String(request.target.dropFirst(self.pathPrefix.count))
            self.arrived.with { $0.append(inner.method + " " + inner.path) }
            let wait = self.latency.current
            if wait > 0 { OS.sleep(seconds: wait) }
            if let intercept = self.intercept.current, let answer = intercept(inner) { return answer }
            return self.handle(inner)
        }
    }

    /// Takes in an instance made by an earlier run (the keyfile's sandbox entries), so that the
    /// commands of this run find it; new ids come after the highest one known.
    public func adopt(id: Int64, token: String, element: String, name: String) {
        instances.with { $0[id] = $0[id] ?? Instance(token: token, element: element, name: name) }
        nextID.with { $0 = Swift.max($0, id) }
    }

    public func stop() { server.stop() }
    /// Down for the rest of its life: connections refused, the port kept from other servers.
    public func goDown() { server.goDown() }

    public static let platformHeader = "User \(SandboxSecrets.user), Organization \(SandboxSecrets.org)"
    /// Hubs of the elements it knows; dropbox is one ceauth has no template of (for adopt).
    public static let hubs = ["gmail": "general", "googlecalendar": "scheduling", "dropbox": "documents"]

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
                         "disabled": .bool(instance.disabled), "element": self.elementJSON(instance.element),
                         "eventsEnabled": .bool(InstanceEvents(configuration: instance.configuration).enabled)])
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
            return .json(200, instanceJSON(id, instance))
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

    /// An instance as GET /instances/{id} (and a PATCH's answer) shows it: secrets echoed, as the real service does.
    private func instanceJSON(_ id: Int64, _ instance: Instance) -> JSONValue {
        .object([
            "id": .integer(id), "name": .string(instance.name), "valid": .bool(instance.valid), "disabled": .bool(instance.disabled),
            "element": elementJSON(instance.element), "token": .string(instance.token),
            "configuration": .object(instance.configuration), "tags": .array(instance.tags),
        ])
    }

    /// The element as an instance's JSON describes it (its hub included, as Cloud Elements does).
    private func elementJSON(_ key: String) -> JSONValue {
        var element: [String: JSONValue] = ["key": .string(key), "name": .string(key)]
        if let hub = Self.hubs[key] { element["hub"] = .string(hub) }
        return .object(element)
    }

    /// `PUT /instances/enabled` and `DELETE /instances/enabled`: the instance is the one whose
    /// token the Authorization header carries (with the platform secrets).
    private func setEnabled(_ request: EmulatorRequest) -> EmulatorResponse {
        let authorization = request.headers["authorization"] ?? ""
        guard authorization.hasPrefix(Self.platformHeader + ", Element ") else {
            return Self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
        }
        let token = String(authorization.dropFirst((Self.platformHeader + ", Element ").count))
        let found: Int64? = instances.with { all in
            guard let id = all.first(where: { $0.value.token == token })?.key else { return nil }
            all[id]?.disabled = request.method == "DELETE"
            return id
        }
        guard let found else { return Self.error(401, "Invalid Organization or User secret, or invalid Element token provided.") }
        return .json(200, .object(["id": .integer(found), "disabled": .bool(request.method == "DELETE")]))
    }

    /// `PATCH /instances/{id}`: the configuration keys given change, the rest stay; a `tags`
    /// list replaces the tags; a `name` renames.
    private func patch(_ request: EmulatorRequest) -> EmulatorResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count == 4, parts[2] == "instances", let id = Int64(parts[3]) else {
            return Self.error(404, "No resource found at \(request.path)")
        }
        guard request.headers["authorization"] == Self.platformHeader else {
            return Self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
        }
        guard request.headers["content-type"]?.hasPrefix("application/json") == true,
              let body = try? JSONValue.parse(request.body), case .object = body else {
            return Self.error(400, "Invalid instance body")
        }
        patches.with { $0.append(body) }
        let updated: Instance? = instances.with { all in
            guard var instance = all[id] else { return nil }
            if let configuration = body["configuration"]?.objectValue { instance.configuration.merge(configuration) { _, new in new } }
            if let tags = body["tags"]?.arrayValue { instance.tags = tags }
            if let name = body["name"]?.stringValue { instance.name = name }
            all[id] = instance
            return instance
        }
        guard let updated else { return Self.error(404, "No instance found with id \(id)") }
        return .json(200, instanceJSON(id, updated))
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
        if request.path == "/elements/api-v2/instances/enabled" && (request.method == "PUT" || request.method == "DELETE") {
            calls.with { $0.append(request.method + " " + request.path) }
            return setEnabled(request)
        }
        if request.method == "DELETE" { return delete(request) }
        if request.method == "PATCH" {
            calls.with { $0.append("PATCH " + request.path) }
            return patch(request)
        }
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
        while bodies.current.count < answerTogether.current && monotonicSeconds() < until { OS.sleep(seconds: 0.002) }
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
              let configuration = body["configuration"]?.objectValue,
              let clientID = configuration["oauth.api.key"]?.stringValue,
              let clientSecret = configuration["oauth.api.secret"]?.stringValue,
              let name = body["name"]?.stringValue else {
            return Self.error(400, "Invalid instance body")
        }
        let form: String
        if body["externalAuthentication"]?.stringValue == "initial" {
            // "Provisioning an Instance with an Existing Refresh Token": the service refreshes itself.
            guard let refresh = configuration["oauth.user.refresh_token"]?.stringValue, body["providerData"]?["code"] == nil else {
                return Self.error(400, "Invalid instance body: externalAuthentication needs oauth.user.refresh_token and no code")
            }
            form = FormEncoding.query([("grant_type", "refresh_token"), ("refresh_token", refresh),
                                       ("client_id", clientID), ("client_secret", clientSecret)])
        } else {
            guard let code = body["providerData"]?["code"]?.stringValue, let callback = configuration["oauth.callback.url"]?.stringValue else {
                return Self.error(400, "Invalid instance body")
            }
            // Server to server: the service redeems the code itself, with no code_verifier.
            form = FormEncoding.query([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", callback),
                                       ("client_id", clientID), ("client_secret", clientSecret)])
        }
        guard let redeemed = try? RawHTTP.request(google.tokenURL, method: "POST",
                                               headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                               body: Data(form.utf8)) else {
            return Self.error(502, "Provider unreachable")
        }
        guard redeemed.status == 200 else {
            return Self.error(400, "Error while retrieving the OAuth token from the provider", provider: redeemed.body)
        }
        let tokens = (try? JSONValue.parse(Data(redeemed.body.utf8))) ?? .null
        let id = updating ?? nextID.with { id -> Int64 in id += 1; return id }
        let token = "INSTANCETOKEN-\(id)-" + (try! Crypto.randomBytes(count: 8)).base64URLEncoded
        // A PUT replaces what it is given (name, tags, configuration); re-authorized, the
        // instance is valid again, with a new token.
        var echoed = configuration
        echoed["oauth.user.token"] = tokens["access_token"] ?? .null
        echoed["oauth.user.refresh_token"] = tokens["refresh_token"] ?? configuration["oauth.user.refresh_token"] ?? .null
        let kept = name
        instances.with { $0[id] = Instance(token: token, element: key, name: name, configuration: echoed, tags: body["tags"]?.arrayValue ?? []) }
        return .json(200, .object([
            "id": .integer(id), "name": .string(kept),
            "token": .string(token),
            "element": .object(["id": .integer(key == "gmail" ? 3317 : 1432), "key": .string(key), "name": .string(key)]),
            "elementId": .integer(key == "gmail" ? 3317 : 1432), "valid": .bool(true), "disabled": .bool(false),
            "createdDate": .string("2026-11-23T11:00:00Z"), "externalAuthentication": body["externalAuthentication"] ?? .null, "tags": body["tags"] ?? .array([]),
            "configuration": .object(echoed), "eventsEnabled": body["configuration"]?["event.notification.enabled"] ?? .bool(false),
        ]))
    }
}
