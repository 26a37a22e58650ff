#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything `login` needs, decided before anything starts.
public struct LoginPlan: Sendable {
    public var template: ElementTemplate
    public var credentials: CloudElementsCredentials
    public var clientID: String
    public var clientSecret: Secret
    /// Cloud Elements API base, e.g. `https://api.cloud-elements.com/elements/api-v2`.
    public var baseURL: URL
    /// Google's authorization endpoint.
    public var authorizeURL: URL
    public var redirect: LoopbackRedirect
    public var scopes: [String]
    public var loginHint: String?
    public var name: String
    public var tags: [String]
    public var events: EventsOptions?
    public var timeoutSeconds: Double
    public var requestTimeoutSeconds: Double
    public var keyfilePath: String
    /// Where the new token goes; with `secret-service`, the keyring reached (checked before the browser opens).
    public var tokenStore: TokenStore = .keyfile
    public var keyring: SecretService?
    public var openBrowser: Bool
    /// `--update`: the saved instance to re-authorize (PUT) instead of creating one (POST).
    public var reauthorize: KeyfileEntry?
    /// `--paste`: the address the browser ended on may also come on standard input.
    public var paste: Bool
    /// Call Cloud Elements before the browser opens, proving the secrets and the element.
    public var preflight: Bool
    /// Who redeems the code: Cloud Elements (no PKCE possible), or ceauth itself with PKCE.
    public var exchange: CodeExchange
    /// Google's token and revocation endpoints (`--exchange local`).
    public var tokenURL: URL
    public var revokeURL: URL

    public init(template: ElementTemplate, credentials: CloudElementsCredentials, clientID: String, clientSecret: Secret,
                baseURL: URL, authorizeURL: URL, redirect: LoopbackRedirect = .ephemeral, scopes: [String]? = nil,
                loginHint: String? = nil, name: String, tags: [String] = [], events: EventsOptions? = nil,
                timeoutSeconds: Double = Double(Defaults.browserTimeout), requestTimeoutSeconds: Double = Double(Defaults.requestTimeout), keyfilePath: String, openBrowser: Bool = true,
                reauthorize: KeyfileEntry? = nil, paste: Bool = false, preflight: Bool = true,
                exchange: CodeExchange = .cloudElements, tokenURL: URL = URL(string: GoogleEndpoints.token)!,
                revokeURL: URL = URL(string: GoogleEndpoints.revoke)!) {
        self.exchange = exchange
        self.tokenURL = tokenURL
        self.revokeURL = revokeURL
        self.template = template
        self.credentials = credentials
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.baseURL = baseURL
        self.authorizeURL = authorizeURL
        self.redirect = redirect
        self.scopes = scopes ?? template.authorization.scopes
        self.loginHint = loginHint
        self.name = name
        self.tags = tags
        self.events = events
        self.timeoutSeconds = timeoutSeconds
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.keyfilePath = keyfilePath
        self.openBrowser = openBrowser
        self.reauthorize = reauthorize
        self.paste = paste
        self.preflight = preflight
    }

    /// A readable default instance name, e.g. `gmail via ceauth 2026-11-23 11:20 UTC`.
    /// Google's token and revocation endpoints for this plan's client (`--exchange local`).
    public func tokenClient(transport: any HTTPTransport) -> GoogleTokenClient {
        GoogleTokenClient(tokenURL: tokenURL, revokeURL: revokeURL, clientID: clientID, clientSecret: clientSecret,
                          transport: transport, timeoutSeconds: requestTimeoutSeconds)
    }

    public static func defaultName(element: String, date: Date) -> String {
        // From the ISO 8601 form (no ICU needed): 2026-11-23T11:20:31Z -> 2026-11-23 11:20.
        let iso = timestamp(date)
        return "\(element) via ceauth \(iso.prefix(10)) \(iso.dropFirst(11).prefix(5)) UTC"
    }

    /// ISO 8601 in UTC to the second, e.g. `2026-11-23T11:20:31Z` (the keyfile's `created`).
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}
