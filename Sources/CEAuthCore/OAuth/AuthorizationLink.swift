/// `ceauth url`: the authorization URL of a flow the caller runs itself, with its state and
/// redirect URI. The same endpoint, scope and redirect rules as login's plan.
public struct AuthorizationLink: Sendable, Equatable {
    public var url: String
    public var state: String
    public var redirectURI: String

    /// `redirectURI` nil: a free loopback port is taken now (`http://127.0.0.1:PORT/`).
    public static func make(template: ElementTemplate, environment: [String: String], redirectURI: String?,
                            scopes: [String], loginHint: String?) throws -> AuthorizationLink {
        try Settings.requireVariables([Settings.Variable.clientID], environment: environment)
        let authorize = try Settings.endpoint(Settings.Variable.authorizeURL, default: template.authorization.endpoint,
                                              named: "the template's authorization endpoint", environment: environment)
        let redirect: String
        if let redirectURI {
            redirect = try OwnRedirectURI.validate(redirectURI)
        } else {
            let probe = try Socket.listen(host: "127.0.0.1", port: 0)
            defer { probe.close() }
            redirect = "http://127.0.0.1:\(try probe.localPort())/"
        }
        let (state, _) = try StateVerifier.generate()
        let url = AuthorizationRequest(endpoint: authorize, clientID: environment[Settings.Variable.clientID]!, redirectURI: redirect,
                                       scopes: try Scopes.fromOptions(scopes) ?? template.authorization.scopes, state: state,
                                       extraParameters: template.authorization.parameters, loginHint: loginHint).url.absoluteString
        return AuthorizationLink(url: url, state: state, redirectURI: redirect)
    }
}
