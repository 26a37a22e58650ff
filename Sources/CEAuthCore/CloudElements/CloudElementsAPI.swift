#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Cloud Elements platform secrets.
public struct CloudElementsCredentials: Sendable {
    public var userSecret: Secret
    public var organizationSecret: Secret

    public init(userSecret: Secret, organizationSecret: Secret) {
        self.userSecret = userSecret
        self.organizationSecret = organizationSecret
    }

    /// Each secret and the variable that holds it, for --dry-run's references.
    public var references: [(value: String, variable: String)] {
        [(userSecret.value, Settings.Variable.userSecret), (organizationSecret.value, Settings.Variable.orgSecret)]
    }

    /// `User <u>, Organization <o>`: the header value of platform calls.
    var authorizationHeader: String {
        "User \(userSecret.value), Organization \(organizationSecret.value)"
    }

    /// `User <u>, Organization <o>, Element <token>`: the header value of calls through an instance.
    /// A token put in a header may come back in an answer: every redactor knows it from here on.
    public func authorizationHeader(element token: Secret) -> String {
        Redactor.learn([token.value])
        return authorizationHeader + ", Element \(token.value)"
    }
}

/// An instance that `POST /instances` created.
public struct CreatedInstance: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var token: Secret
    public var elementKey: String
}

/// Cloud Elements refused or could not be reached.
public enum CloudElementsError: Error, Equatable, CustomStringConvertible {
    /// An HTTP error status, with what the service said about it.
    case refused(status: Int, message: String?, providerMessage: String?, requestID: String?)
    /// No HTTP answer: the service is down or unreachable (nothing sent), or the request went
    /// out and no answer came (it may have been acted on).
    case network(TransportError, url: String)
    /// A 2xx answer without the id and token an instance must have.
    case unexpectedResponse(status: Int, reason: String)
    /// An HTTP error status for a call other than creating an instance (`GET /instances/{id}`, ...).
    case callRefused(call: String, status: Int, message: String?, requestID: String?)

    /// True when the service certainly did not create the instance: it answered with an HTTP
    /// error, or the request never left. (No answer, or an unusable one, may hide an instance.)
    public var nothingCreated: Bool {
        switch self {
        case .refused, .callRefused: return true
        case .network(let error, _): return !error.mayHaveArrived
        case .unexpectedResponse: return false
        }
    }

    public var description: String {
        switch self {
        case .refused(let status, let message, let providerMessage, let requestID):
            var text = "Cloud Elements refused to create the instance (HTTP \(status))"
            if let message, !message.isEmpty { text += ": \(message)" }
            if let providerMessage, !providerMessage.isEmpty { text += "\n  provider said: \(providerMessage)" }
            if let requestID, !requestID.isEmpty { text += "\n  request id: \(requestID)" }
            text += "\n  " + hint(status: status, message: (message ?? "") + " " + (providerMessage ?? ""))
            return text
        case .network(let error, let url) where !error.mayHaveArrived:
            return "could not reach Cloud Elements at \(url): \(error); check the network and --base-url/--env. No instance was created; the code is single-use, so run ceauth login again"
        case .network(.notHTTP(let reason), let url):
            return "sent the request to Cloud Elements at \(url), but what came back is not an HTTP response (\(reason)). The instance may have been created: look for it in the Cloud Elements console before running ceauth login again, and check --base-url/--env"
        case .network(let error, let url):
            return "sent the request to Cloud Elements at \(url) but got no answer: \(error). The instance may have been created: look for it in the Cloud Elements console before running ceauth login again"
        case .callRefused(let call, let status, let message, let requestID):
            var text = "Cloud Elements refused \(call) (HTTP \(status))"
            if let message, !message.isEmpty { text += ": \(message)" }
            if let requestID, !requestID.isEmpty { text += "\n  request id: \(requestID)" }
            if status == 401 || status == 403 {
                text += "\n  check CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET, and that they belong to the instance's Cloud Elements host"
            }
            return text
        case .unexpectedResponse(let status, let reason):
            return "Cloud Elements answered HTTP \(status) but \(reason); check --base-url points at the Cloud Elements API (…/elements/api-v2)"
        }
    }

    private func hint(status: Int, message: String) -> String {
        let lower = message.lowercased()
        switch status {
        // (A `where` binds to the last pattern only, so the statuses are tested inside it.)
        case _ where (status == 400 || status == 401) && (lower.contains("invalid_client") || lower.contains("unauthorized_client")):
            return "Google refused the OAuth client that Cloud Elements presented: check CEAUTH_CLIENT_ID and CEAUTH_CLIENT_SECRET (the id and secret of the client in the Google Cloud console, APIs & Services > Credentials)"
        case 401, 403:
            return "check CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET, and that they belong to the environment in use (--env/--base-url)"
        case 400 where lower.contains("code") || lower.contains("grant") || lower.contains("redirect") || lower.contains("token"):
            return "the authorization code was refused: it expires within minutes and works once, and the redirect URI must be registered for the Google client (CEAUTH_CLIENT_ID/CEAUTH_CLIENT_SECRET); run ceauth login again"
        case 404:
            return "check --base-url: it should end in /elements/api-v2"
        case 409:
            return "an instance with this name may exist already; choose another --name"
        case 500...599:
            return "the service had a problem; wait a little and run ceauth login again (the code is single-use)"
        default:
            return "check the element, the secrets and the options given"
        }
    }
}

/// Pure request building and response parsing for `POST /instances`.
public enum CloudElementsAPI {
    public static let userAgent = "ceauth/" + BuildInfo.version

    public static func createInstanceRequest(baseURL: URL, credentials: CloudElementsCredentials, body: JSONValue,
                                             timeoutSeconds: Double) -> HTTPRequest {
        HTTPRequest(
            method: "POST",
            url: baseURL.appendingPathComponent("instances"),
            headers: [
                "Authorization": credentials.authorizationHeader,
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": userAgent,
            ],
            body: body.encoded(),
            timeoutSeconds: timeoutSeconds
        )
    }

    /// The id, name and token of a created instance. The raw body is never shown: it can echo
    /// the client secret and OAuth tokens in `configuration`.
    public static func parseCreatedInstance(_ response: HTTPResponse, expectedElement: String) throws(CloudElementsError) -> CreatedInstance {
        guard (200...299).contains(response.status) else {
            throw parseError(response)
        }
        guard let json = try? JSONValue.parse(response.body), case .object(let members) = json else {
            throw .unexpectedResponse(status: response.status, reason: "its body is not a JSON object")
        }
        let id: Int64
        switch members["id"] {
        case .integer(let value)?: id = value
        case .string(let text)?:
            guard let value = Int64(text) else { throw .unexpectedResponse(status: response.status, reason: "its id is not a number") }
            id = value
        default:
            throw .unexpectedResponse(status: response.status, reason: "it has no instance id")
        }
        guard let token = members["token"]?.stringValue, !token.isEmpty else {
            throw .unexpectedResponse(status: response.status, reason: "it has no instance token")
        }
        let elementKey = members["element"]?["key"]?.stringValue ?? expectedElement
        // A new secret of this run: only the places that print it on purpose show it.
        Redactor.learn([token])
        return CreatedInstance(id: id, name: members["name"]?.stringValue ?? "", token: Secret(token), elementKey: elementKey)
    }

    /// Cloud Elements' error body: `{"requestId", "message", "providerMessage"}`, when it is JSON.
    /// Otherwise (a proxy's HTML page, say) only its type and size are told, never its text.
    /// The same, for a call other than creating an instance.
    public static func parseError(_ response: HTTPResponse, call: String) -> CloudElementsError {
        guard case .refused(let status, let message, _, let requestID) = parseError(response) else { return parseError(response) }
        return .callRefused(call: call, status: status, message: message, requestID: requestID)
    }

    public static func parseError(_ response: HTTPResponse) -> CloudElementsError {
        guard let json = try? JSONValue.parse(response.body), case .object = json else {
            let type = response.headers["content-type"].map { oneLine($0) } ?? "no content type"
            let what = response.body.isEmpty ? "an empty body" : "a body that is not JSON (\(type), \(response.body.count) bytes)"
            return .refused(status: response.status, message: "the answer had \(what)", providerMessage: nil, requestID: nil)
        }
        func field(_ name: String) -> String? {
            guard let value = json[name]?.stringValue else { return nil }
            return oneLine(value)
        }
        return .refused(status: response.status, message: field("message"),
                        providerMessage: field("providerMessage"), requestID: field("requestId"))
    }

    /// A server's field on one line (line breaks become spaces), whole: shortening waits until
    /// after redaction, and escaping for the terminal happens where every line passes (SafeText).
    static func oneLine(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let lineBreak = scalar == "\n" || scalar == "\r" || scalar == "\u{0B}" || scalar == "\u{0C}"
                || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}"
            out.append(lineBreak ? " " : scalar)
        }
        return String(out)
    }
}
