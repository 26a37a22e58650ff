#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What Google's token endpoint gave for a code (RFC 6749 section 5.1).
public struct GrantedTokens: Sendable {
    public var accessToken: Secret
    public var refreshToken: Secret?
    /// The `scope` member: what the tokens are good for (nil when absent).
    public var scopes: [String]?
    /// `refresh_token_expires_in`, seconds: set for apps whose consent screen is in Testing status.
    public var refreshTokenExpiresIn: Int?

    public init(accessToken: Secret, refreshToken: Secret?, scopes: [String]?, refreshTokenExpiresIn: Int? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.scopes = scopes
        self.refreshTokenExpiresIn = refreshTokenExpiresIn
    }
}

/// Why the code could not be redeemed (or a token revoked) at Google.
public enum TokenExchangeError: Error, Equatable, CustomStringConvertible {
    /// An RFC 6749 section 5.2 error answer.
    case refused(OAuthErrorResponse, status: Int, clientID: String)
    /// No connection to the token endpoint: the code was not spent.
    case unreachable(TransportError, url: String)
    /// Sent, but no usable answer: the code may be spent.
    case badAnswer(reason: String)
    /// Tokens without a refresh token: an instance on them would stop within the hour.
    case noRefreshToken
    /// A success answer with a refresh token but no usable access token: the grant is live and
    /// must be taken back, then this is a bad answer.
    case unusableGrant(refreshToken: Secret, reason: String)

    public var description: String {
        switch self {
        case .refused(let error, let status, let clientID):
            let detail = error.description.map { ": \($0)" } ?? ""
            let said = "Google's token endpoint refused the code (HTTP \(status), \(error.code)\(detail))"
            switch (error.code, error.description ?? "") {
            case ("invalid_grant", let text) where text.lowercased().contains("code verifier"):
                return said + ". The code was not issued for this sign-in's PKCE challenge: it came from another client or another run (a code injection?). Nothing was created; run ceauth login again, and if this repeats, look for another program answering on this machine's loopback"
            case ("invalid_grant", _):
                return said + ". The code has expired or was already used (codes are single use and live minutes); run ceauth login again"
            case ("invalid_client", _), ("unauthorized_client", _):
                return said + ". Google does not accept the OAuth client \(clientID) with this secret: check CEAUTH_CLIENT_ID and CEAUTH_CLIENT_SECRET in the Google Cloud console (Credentials)"
            case ("redirect_uri_mismatch", _):
                return said + ". The redirect URI sent differs from the authorization request's; run ceauth login again"
            default:
                return said + "; run ceauth login again, and check the OAuth client in the Google Cloud console if it repeats"
            }
        case .unreachable(let error, let url):
            return "cannot reach Google's token endpoint \(url): \(error); nothing was created (check the network or CEAUTH_TOKEN_URL) and run ceauth login again"
        case .badAnswer(let reason), .unusableGrant(_, let reason):
            return "Google's token endpoint gave no usable answer (\(reason)); nothing was created: run ceauth login again"
        case .noRefreshToken:
            return "Google gave no refresh token, so an instance would stop working within the hour; nothing was created. Google leaves it out when this account already granted this client and consent was not asked again: remove the app's access at https://myaccount.google.com/permissions and run ceauth login again"
        }
    }
}

/// Google's token and revocation endpoints, for `--exchange local`: the code redeemed by ceauth
/// itself with its PKCE verifier, once, no retry.
public struct GoogleTokenClient: Sendable {
    public var tokenURL: URL
    public var revokeURL: URL
    public var clientID: String
    public var clientSecret: Secret
    public var transport: any HTTPTransport
    public var timeoutSeconds: Double

    public init(tokenURL: URL, revokeURL: URL, clientID: String, clientSecret: Secret, transport: any HTTPTransport, timeoutSeconds: Double) {
        self.tokenURL = tokenURL
        self.revokeURL = revokeURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.transport = transport
        self.timeoutSeconds = timeoutSeconds
    }

    /// The token request (RFC 6749 4.1.3 with RFC 7636 4.5), also for --dry-run.
    public func redeemRequest(code: String, redirectURI: String, verifier: String) -> HTTPRequest {
        form(tokenURL, [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                        ("client_id", clientID), ("client_secret", clientSecret.value), ("code_verifier", verifier)])
    }

    public func redeem(code: String, redirectURI: String, verifier: String) throws(TokenExchangeError) -> GrantedTokens {
        let response: HTTPResponse
        do {
            response = try transport.send(redeemRequest(code: code, redirectURI: redirectURI, verifier: verifier))
        } catch {
            if error.mayHaveArrived { throw .badAnswer(reason: "\(error)") }
            throw .unreachable(error, url: tokenURL.absoluteString)
        }
        return try Self.parse(response, clientID: clientID)
    }

    /// Pure: a token endpoint answer into tokens or the error it names.
    public static func parse(_ response: HTTPResponse, clientID: String) throws(TokenExchangeError) -> GrantedTokens {
        let json = try? JSONValue.parse(response.body)
        guard (200...299).contains(response.status) else {
            guard let code = json?["error"]?.stringValue, !code.isEmpty else {
                throw .badAnswer(reason: "HTTP \(response.status) without an OAuth error")
            }
            throw .refused(OAuthErrorResponse(code: code, description: json?["error_description"]?.stringValue), status: response.status,
                           clientID: clientID)
        }
        let refresh = json?["refresh_token"]?.stringValue.flatMap { $0.isEmpty ? nil : Secret($0) }
        guard let access = json?["access_token"]?.stringValue, !access.isEmpty else {
            let reason = "HTTP \(response.status) without an access_token"
            if let refresh { throw .unusableGrant(refreshToken: refresh, reason: reason) }
            throw .badAnswer(reason: reason)
        }
        let expires: Int? = switch json?["refresh_token_expires_in"] {
        case .integer(let value)?: plausibleLifetime(Double(value))
        case .double(let value)?: plausibleLifetime(value)
        case .string(let text)?: Double(text).flatMap(plausibleLifetime)
        default: nil
        }
        return GrantedTokens(accessToken: Secret(access), refreshToken: refresh,
                             scopes: json?["scope"]?.stringValue.map(Scopes.split), refreshTokenExpiresIn: expires)
    }

    /// A refresh token's lifetime in whole seconds when it is one a server could mean (above
    /// zero, at most ten years); nil for anything else, 1e300 and nan included, so no answer
    /// can trap the conversion.
    static func plausibleLifetime(_ seconds: Double) -> Int? {
        guard seconds.isFinite, seconds > 0, seconds <= 10 * 365 * 86_400 else { return nil }
        return Int(seconds)
    }

    /// Revokes a token (Google: POST token=...). Nil when Google confirmed, else why not.
    public func revoke(_ token: Secret) -> String? {
        do {
            let response = try transport.send(form(revokeURL, [("token", token.value)]))
            if (200...299).contains(response.status) { return nil }
            let json = try? JSONValue.parse(response.body)
            return "HTTP \(response.status)" + (json?["error"]?.stringValue.map { ", \($0)" } ?? "")
        } catch {
            return "\(error)"
        }
    }

    private func form(_ url: URL, _ items: [(String, String)]) -> HTTPRequest {
        HTTPRequest(method: "POST", url: url, headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
                    body: Data(FormEncoding.query(items).utf8), timeoutSeconds: timeoutSeconds)
    }
}

/// Who redeems the authorization code.
public enum CodeExchange: String, Sendable, Equatable {
    /// Cloud Elements, server to server (`providerData.code`); it cannot send a PKCE verifier.
    case cloudElements = "cloud-elements"
    /// ceauth, at Google's token endpoint with its PKCE verifier; Cloud Elements gets the
    /// refresh token (`externalAuthentication: "initial"`).
    case local
}

/// Google's endpoints as its documents name them.
public enum GoogleEndpoints {
    public static let token = "https://oauth2.googleapis.com/token"
    public static let revoke = "https://oauth2.googleapis.com/revoke"
}
