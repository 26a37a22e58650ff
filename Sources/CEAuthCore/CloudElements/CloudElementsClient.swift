#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The one place that sends a request to Cloud Elements and maps what can go wrong: every
/// command uses it. Each call is sent once; nothing is retried.
public struct CloudElementsClient: Sendable {
    public var baseURL: URL
    public var credentials: CloudElementsCredentials
    public var transport: any HTTPTransport
    public var timeoutSeconds: Double

    public init(baseURL: URL, credentials: CloudElementsCredentials, transport: any HTTPTransport, timeoutSeconds: Double) {
        self.baseURL = baseURL
        self.credentials = credentials
        self.transport = transport
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends one request; a transport failure becomes `network` (exit 5, 7 or 8), a body over
    /// the cap `unexpectedResponse` (exit 8). HTTP error statuses are the caller's to read.
    public func send(_ request: HTTPRequest) throws(CloudElementsError) -> HTTPResponse {
        do {
            return try transport.send(request)
        } catch .responseTooLarge(let status, let limit) {
            throw .unexpectedResponse(status: status, reason: "its body is larger than \(limit / 1024) KiB, far more than an answer of Cloud Elements, so it was not read")
        } catch {
            throw .network(error, url: request.url.absoluteString)
        }
    }

    /// `POST /instances` with the rendered body.
    public func createInstance(body: JSONValue, expectedElement: String) throws(CloudElementsError) -> (CreatedInstance, status: Int) {
        let response = try send(CloudElementsAPI.createInstanceRequest(baseURL: baseURL, credentials: credentials, body: body,
                                                                       timeoutSeconds: timeoutSeconds))
        return (try CloudElementsAPI.parseCreatedInstance(response, expectedElement: expectedElement), response.status)
    }

    /// `PUT /instances/{id}?reAuthenticate=true` with the element's body and a new code: the
    /// same instance, re-authorized. Its token, when the answer carries one, replaces the old.
    public func reauthorizeInstance(id: Int64, body: JSONValue, expectedElement: String, currentToken: Secret) throws(CloudElementsError) -> (CreatedInstance, status: Int) {
        var request = request("PUT", "instances/\(id)?reAuthenticate=true", authorization: credentials.authorizationHeader)
        request.headers["Content-Type"] = "application/json"
        request.body = body.encoded()
        let response = try send(request)
        if response.status == 404 {
            throw .callRefused(call: "PUT /instances/\(id)", status: 404, message: "Cloud Elements no longer has this instance; create a new one with ceauth login (without --update)", requestID: nil)
        }
        guard (200...299).contains(response.status) else { throw CloudElementsAPI.parseError(response, call: "PUT /instances/\(id)?reAuthenticate=true") }
        guard let json = try? JSONValue.parse(response.body), case .object = json else {
            throw .unexpectedResponse(status: response.status, reason: "its body is not a JSON object")
        }
        let token = json["token"]?.stringValue.flatMap { $0.isEmpty ? nil : Secret($0) } ?? currentToken
        Redactor.learn([token.value, currentToken.value])
        return (CreatedInstance(id: id, name: json["name"]?.stringValue ?? "", token: token,
                                elementKey: json["element"]?["key"]?.stringValue ?? expectedElement), response.status)
    }

    /// The check before the browser opens: `GET /elements/{key}` proves the user and
    /// organization secrets work at this host and the element exists, so a wrong secret or an
    /// unreachable host costs no consent.
    public func preflight(element key: String) throws(CloudElementsError) {
        let response = try send(request("GET", "elements/\(FormEncoding.encode(key))", authorization: credentials.authorizationHeader))
        if (200...299).contains(response.status) { return }
        if response.status == 404 {
            throw .callRefused(call: "GET /elements/\(key)", status: 404,
                               message: "Cloud Elements has no element '\(key)' here; check --base-url/--env, or the template's key", requestID: nil)
        }
        throw CloudElementsAPI.parseError(response, call: "GET /elements/\(key) (the check before the browser opens)")
    }

    /// `GET /instances/{id}`: the instance as Cloud Elements has it (its configuration echoes
    /// secrets: never shown), or nil when it has no such instance.
    public func instance(id: Int64) throws(CloudElementsError) -> JSONValue? {
        let response = try send(get("instances/\(id)", authorization: credentials.authorizationHeader))
        if response.status == 404 { return nil }
        guard (200...299).contains(response.status) else { throw CloudElementsAPI.parseError(response, call: "GET /instances/\(id)") }
        guard let json = try? JSONValue.parse(response.body), case .object = json else {
            throw .unexpectedResponse(status: response.status, reason: "its body is not a JSON object")
        }
        if let token = json["token"]?.stringValue { Redactor.learn([token]) }
        Redactor.learn(Reauthorization.oldGrantSecrets(json))
        return json
    }

    /// `GET /instances/{id}`: whether the instance exists, is valid and is enabled.
    public func instanceState(id: Int64) throws(CloudElementsError) -> InstanceState {
        Self.state(of: try instance(id: id))
    }

    /// What an answer of `GET /instances/{id}` says (nil: no such instance).
    public static func state(of answer: JSONValue?) -> InstanceState {
        guard let json = answer else { return .gone }
        if json["disabled"] == .bool(true) { return .disabled }
        if json["valid"] == .bool(false) { return .invalid }
        return .enabled
    }

    /// `GET /hubs/{hub}/ping` through the instance: true when Cloud Elements answers for it,
    /// false when it refuses the instance's token (401, 403).
    public func ping(hub: String, token: Secret) throws(CloudElementsError) -> Bool {
        let response = try send(get("hubs/\(FormEncoding.encode(hub))/ping", authorization: credentials.authorizationHeader(element: token)))
        if (200...299).contains(response.status) { return true }
        if response.status == 401 || response.status == 403 { return false }
        throw CloudElementsAPI.parseError(response, call: "GET /hubs/\(hub)/ping")
    }

    /// `GET /instances`, every page: `nextPage=<token>` for the next one while the answer carries
    /// an `Elements-Next-Page-Token` header. A token seen twice, or more than `maxPages`, is an
    /// error rather than a loop without end.
    public func listInstances(pageSize: Int = 200, maxPages: Int = 500) throws(CloudElementsError) -> [RemoteInstance] {
        var instances: [RemoteInstance] = []
        var token: String?
        var seen: Set<String> = []
        for _ in 0..<maxPages {
            var path = "instances?pageSize=\(pageSize)"
            if let token { path += "&nextPage=" + FormEncoding.encode(token) }
            let response = try send(request("GET", path, authorization: credentials.authorizationHeader))
            guard (200...299).contains(response.status) else { throw CloudElementsAPI.parseError(response, call: "GET /instances") }
            guard let json = try? JSONValue.parse(response.body), case .array(let items) = json else {
                throw .unexpectedResponse(status: response.status, reason: "its body is not a JSON array of instances")
            }
            instances += items.compactMap(RemoteInstance.init)
            guard let next = response.headers["elements-next-page-token"], !next.isEmpty else { return instances }
            guard seen.insert(next).inserted else {
                throw .unexpectedResponse(status: response.status, reason: "its paging repeats the page token \(next.prefix(40))")
            }
            token = next
        }
        throw .unexpectedResponse(status: 200, reason: "its paging did not end after \(maxPages) pages")
    }

    /// `DELETE /instances/{id}`: true when it was deleted, false when Cloud Elements did not have
    /// it (404), which leaves the same result.
    public func deleteInstance(id: Int64) throws(CloudElementsError) -> Bool {
        let response = try send(deleteRequest(id: id))
        if response.status == 404 { return false }
        guard (200...299).contains(response.status) else { throw CloudElementsAPI.parseError(response, call: "DELETE /instances/\(id)") }
        return true
    }

    /// `PATCH /instances/{id}`: changes the configuration keys the body gives (and its tags,
    /// when it gives a list). The instance as Cloud Elements then has it.
    @discardableResult
    public func patchInstance(id: Int64, body: JSONValue) throws(CloudElementsError) -> JSONValue {
        let response = try send(patchRequest(id: id, body: body))
        if response.status == 404 {
            throw .callRefused(call: "PATCH /instances/\(id)", status: 404, message: "Cloud Elements no longer has this instance", requestID: nil)
        }
        guard (200...299).contains(response.status) else { throw CloudElementsAPI.parseError(response, call: "PATCH /instances/\(id)") }
        let json = (try? JSONValue.parse(response.body)) ?? .object([:])
        if let token = json["token"]?.stringValue { Redactor.learn([token]) }
        Redactor.learn(Reauthorization.oldGrantSecrets(json))
        return json
    }

    public func patchRequest(id: Int64, body: JSONValue) -> HTTPRequest {
        var request = request("PATCH", "instances/\(id)", authorization: credentials.authorizationHeader)
        request.headers["Content-Type"] = "application/json"
        request.body = body.encoded()
        return request
    }

    /// `PUT /instances/enabled` (enable) or `DELETE /instances/enabled` (disable), through the
    /// instance's own token.
    public func setEnabled(_ enabled: Bool, token: Secret) throws(CloudElementsError) {
        let request = enabledRequest(enabled, token: token)
        let response = try send(request)
        let call = "\(request.method) /instances/enabled"
        if response.status == 401 || response.status == 403 {
            throw .callRefused(call: call, status: response.status,
                               message: "Cloud Elements refuses the instance's token (deleted, or re-authorized since?); check it with ceauth verify", requestID: nil)
        }
        guard (200...299).contains(response.status) else { throw CloudElementsAPI.parseError(response, call: call) }
    }

    public func enabledRequest(_ enabled: Bool, token: Secret) -> HTTPRequest {
        request(enabled ? "PUT" : "DELETE", "instances/enabled", authorization: credentials.authorizationHeader(element: token))
    }

    public func deleteRequest(id: Int64) -> HTTPRequest {
        request("DELETE", "instances/\(id)", authorization: credentials.authorizationHeader)
    }

    private func get(_ path: String, authorization: String) -> HTTPRequest {
        request("GET", path, authorization: authorization)
    }

    private func request(_ method: String, _ path: String, authorization: String) -> HTTPRequest {
        // The path may carry a query: appended as text, since appendingPathComponent would encode the "?".
        let base = baseURL.absoluteString.hasSuffix("/") ? String(baseURL.absoluteString.dropLast()) : baseURL.absoluteString
        return HTTPRequest(method: method, url: URL(string: base + "/" + path) ?? baseURL.appendingPathComponent(path),
                    headers: ["Authorization": authorization, "Accept": "application/json", "User-Agent": CloudElementsAPI.userAgent],
                    body: nil, timeoutSeconds: timeoutSeconds)
    }
}

/// What `GET /instances/{id}` says of an instance.
public enum InstanceState: String, Sendable, Equatable {
    case enabled, invalid, disabled, gone
}

/// One instance as `GET /instances` lists it.
public struct RemoteInstance: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var element: String
    public var valid: Bool?
    public var disabled: Bool?
    /// Whether polling events are on, when the listing says.
    public var eventsEnabled: Bool?

    init?(_ json: JSONValue) {
        switch json["id"] {
        case .integer(let value)?: id = value
        case .string(let text)?: guard let value = Int64(text) else { return nil }; id = value
        default: return nil
        }
        name = json["name"]?.stringValue ?? ""
        element = json["element"]?["key"]?.stringValue ?? ""
        if case .bool(let value)? = json["valid"] { valid = value }
        if case .bool(let value)? = json["disabled"] { disabled = value }
        if case .object(let configuration)? = json["configuration"], configuration[EventKeys.enabled] != nil {
            eventsEnabled = InstanceEvents(configuration: configuration).enabled
        } else if case .bool(let value)? = json["eventsEnabled"] {
            eventsEnabled = value
        }
    }
}
