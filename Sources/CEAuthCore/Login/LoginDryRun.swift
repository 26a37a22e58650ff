/// `login --dry-run`: the authorization URL and each request in order, secrets as references.
/// Re-authorizing, the instance is read (GET, which changes nothing) so the PUT shown is the
/// one that would be sent.
public struct LoginDryRun {
    public var authorizationURL: String
    public var steps: [(comment: String, request: DryRun.Shown)]
    /// The instance whose current configuration the PUT keeps (re-authorizing).
    public var reads: Int64?
    public var local: Bool

    public static func make(plan: LoginPlan, transport: any HTTPTransport) throws -> LoginDryRun {
        let redirect = plan.redirect.port == 0 ? plan.redirect.uri(port: 0).replacing(":0/", with: ":<free port>/")
            : plan.redirect.uri(port: plan.redirect.port)
        let local = plan.exchange == .local
        let authorization = AuthorizationRequest(endpoint: plan.authorizeURL, clientID: plan.clientID, redirectURI: redirect,
                                                 scopes: plan.scopes, state: "<state>", extraParameters: plan.template.authorization.parameters,
                                                 loginHint: plan.loginHint, codeChallenge: local ? "<S256 of this run's verifier>" : nil).url.absoluteString
        let creator = InstanceCreator(plan: plan, transport: transport)
        let current = try creator.currentInstance()
        var steps: [(comment: String, request: DryRun.Shown)] = []
        if local {
            let google = plan.tokenClient(transport: transport)
            steps.append(("# then ceauth redeems the code at Google, once:",
                          DryRun.show(google.redeemRequest(code: "<the authorization code>", redirectURI: redirect,
                                                           verifier: "<this run's PKCE verifier>"),
                                      references: [(plan.clientSecret.value, Settings.Variable.clientSecret)])))
            let tokens = GrantedTokens(accessToken: Secret("<access token from Google>"), refreshToken: Secret("<refresh token from Google>"),
                                       scopes: plan.scopes)
            steps.append(("# then, with Google's tokens:", try creator.dryRun(code: "", redirectURI: redirect, tokens: tokens, current: current)))
        } else {
            steps.append(("# then, with the code from the redirect:",
                          try creator.dryRun(code: "<the authorization code>", redirectURI: redirect, current: current)))
        }
        return LoginDryRun(authorizationURL: authorization, steps: steps, reads: current == nil ? nil : plan.reauthorize?.id, local: local)
    }

    /// As text, for the terminal.
    public var text: String {
        var lines = ["# the browser would open (a new random state each run\(local ? ", and a new PKCE challenge" : "")):", authorizationURL]
        if let reads { lines.append("# (the PUT keeps what Cloud Elements has: read with GET /instances/\(reads))") }
        for step in steps { lines += ["", step.comment, step.request.text] }
        return lines.joined(separator: "\n")
    }

    /// As one JSON document (--dry-run --json).
    public var json: LosslessJSON {
        DryRun.document(steps.map(\.request), extra: [.init("authorizationUrl", .string(JSONString(authorizationURL)))])
    }
}
