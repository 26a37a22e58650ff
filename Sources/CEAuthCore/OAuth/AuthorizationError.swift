/// An error response from the authorization server (RFC 6749 section 4.1.2.1).
public struct OAuthErrorResponse: Sendable, Equatable {
    public var code: String
    public var description: String?
    public var uri: String?

    public init(code: String, description: String? = nil, uri: String? = nil) {
        self.code = code
        self.description = description
        self.uri = uri
    }

    /// What happened, in words a person understands.
    public var summary: String {
        switch code {
        case "access_denied": return "consent was denied in the browser"
        case "invalid_request": return "Google refused the authorization request as malformed"
        case "unauthorized_client": return "the Google OAuth client is not allowed to use the authorization-code flow"
        case "unsupported_response_type": return "Google does not support response_type=code for this client"
        case "invalid_scope": return "Google refused the requested scopes"
        case "server_error": return "Google had an internal error"
        case "temporarily_unavailable": return "Google is temporarily unavailable"
        default: return "Google answered with the error '\(code)'"
        }
    }

    /// What to do about it.
    public var hint: String {
        switch code {
        case "access_denied":
            return "run ceauth login again and choose Allow on Google's consent screen"
        case "invalid_request", "unauthorized_client", "unsupported_response_type":
            return "check CEAUTH_CLIENT_ID and that the redirect URI is allowed for that client in the Google Cloud console"
        case "invalid_scope":
            return "check --scope, or that the Gmail or Calendar API is enabled for the client's project"
        case "server_error", "temporarily_unavailable":
            return "try again in a few minutes"
        default:
            return "see the Google Cloud console for the OAuth client's settings"
        }
    }
}

/// Why the browser part of the flow did not yield an authorization code.
public enum AuthorizationError: Error, Equatable, CustomStringConvertible {
    case denied(OAuthErrorResponse)
    case timedOut(seconds: Int)
    case interrupted
    case issuerMismatch(expected: String, received: String)
    /// Google's consent screen let the person untick permissions the element needs.
    case partialGrant(missing: [String], element: String)

    public var description: String {
        switch self {
        case .denied(let response):
            var text = response.summary
            if let detail = response.description, !detail.isEmpty { text += " (\(detail))" }
            return text + "; " + response.hint
        case .timedOut(let seconds):
            return "no redirect from the browser within \(seconds) seconds; run ceauth login again (with a larger --timeout if sign-in takes longer)"
        case .interrupted:
            return "interrupted before the browser came back; nothing was created"
        case .issuerMismatch(let expected, let received):
            return "the redirect came from issuer '\(received)', not '\(expected)'; refusing it (possible mix-up attack), run ceauth login again"
        case .partialGrant(let missing, let element):
            let what = missing.count == 1 ? "the permission \(missing[0]) was" : "the permissions \(missing.joined(separator: ", ")) were"
            return "\(what) not granted (unticked on Google's consent screen), and \(element) needs it; nothing was created: run ceauth login \(element) again and leave every permission ticked"
        }
    }
}
