import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// `ceauth url` and `ceauth create`: a flow the caller runs itself, the code handed over on
/// standard input; and `login --dry-run`.
extension CLITests {
    static let ownRedirect = "http://127.0.0.1:9/oauth/callback"

    /// What the browser is sent back to after consent at the fake Google, for `url`'s URL.
    func consent(_ url: String) throws -> String {
        let answer = try RawHTTP.request(url)
        return try #require(answer.headers["location"])
    }

    @Test func urlPrintsTheAuthorizationURLAndWithJSONItsStateAndRedirect() async throws {
        let harness = try LoginHarness()
        let text = try await run(["url", "googlecalendar"], environment: harness.environment)
        #expect(text.status == 0, "stderr: \(text.stderr)")
        let url = try #require(URLComponents(string: text.stdout.trimmingCharacters(in: .newlines)))
        let query = Dictionary(uniqueKeysWithValues: (url.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["client_id"] == SandboxSecrets.clientID)
        #expect(query["redirect_uri"]?.hasPrefix("http://127.0.0.1:") == true)
        #expect(query["scope"] == "https://www.googleapis.com/auth/calendar")
        #expect(query["state"]?.count == 43 && query["access_type"] == "offline" && query["prompt"] == "consent")

        let json = try JSONValue.parse(Data(try await run(["url", "gmail", "--json", "--redirect-uri", "https://app.example/cb"],
                                                    environment: harness.environment).stdout.utf8))
        let jsonURL = try #require(json["url"]?.stringValue.flatMap(URLComponents.init(string:)))
        #expect(jsonURL.queryItems?.first { $0.name == "state" }?.value == json["state"]?.stringValue)
        #expect(json["redirectUri"] == .string("https://app.example/cb"))
        #expect(jsonURL.queryItems?.first { $0.name == "redirect_uri" }?.value == "https://app.example/cb")

        let plain = try await run(["url", "gmail", "--redirect-uri", "http://app.example/cb"], environment: harness.environment)
        #expect(plain.status == 64 && plain.stderr.contains("plain http:// is refused"))
        let noClient = try await run(["url", "gmail"], environment: ["HOME": harness.directory.path])
        #expect(noClient.status == 64 && noClient.stderr.contains("CEAUTH_CLIENT_ID"))
    }

    /// The whole address or the bare code, on standard input; never on the command line.
    @Test(arguments: [true, false])
    func createTakesTheCodeFromStandardInput(wholeAddress: Bool) async throws {
        let harness = try LoginHarness()
        let url = try JSONValue.parse(Data(try await run(["url", "gmail", "--json", "--redirect-uri", Self.ownRedirect],
                                                   environment: harness.environment).stdout.utf8))["url"]!.stringValue!
        let location = try consent(url)
        let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
        let run = try await run(["create", "gmail", "--redirect-uri", Self.ownRedirect, "--json", "--name", "web-app"],
                          environment: harness.environment, input: (wholeAddress ? location : code) + "\n")
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try JSONValue.parse(Data(run.stdout.utf8))
        #expect(json["name"] == .string("web-app") && json["keyfile"] == .string(harness.keyfile))
        // Cloud Elements redeemed the code with the redirect URI the authorization used.
        #expect(harness.cloudElements.bodies.current.first?["configuration"]?["oauth.callback.url"] == .string(Self.ownRedirect))
        #expect(harness.keyfileEntries().count == 1)
        expectNoSecrets(run, allowToken: "INSTANCETOKEN")
    }

    @Test func createRefusesAnErrorAnotherIssuerOrNothingAndSendsNothing() async throws {
        let harness = try LoginHarness()
        let cases: [(String, Int32, String)] = [
            ("\(Self.ownRedirect)?error=access_denied&state=s", 3, "consent was denied"),
            ("\(Self.ownRedirect)?code=4/0Ax&iss=https://evil.example", 3, "evil.example"),
            ("", 64, "no authorization code was given"),
            ("4/0A bad code", 64, "spaces or control characters"),
            // A whole address whose scope lacks a permission gmail needs: a partial grant.
            ("\(Self.ownRedirect)?code=4/0Ax&scope=https://mail.google.com/", 3,
             "the permission https://www.googleapis.com/auth/gmail.settings.basic was not granted"),
        ]
        for (input, status, saying) in cases {
            let run = try await run(["create", "gmail", "--redirect-uri", Self.ownRedirect], environment: harness.environment, input: input + "\n")
            #expect(run.status == status, "for \(input.debugDescription): \(run.stderr)")
            #expect(run.stderr.contains(saying), "for \(input.debugDescription): \(run.stderr)")
        }
        #expect(harness.cloudElements.postCount == 0)
    }

    @Test func dryRunsShowTheRequestWithSecretsAsReferencesAndSendNothing() async throws {
        let harness = try LoginHarness()
        let create = try await run(["create", "googlecalendar", "--redirect-uri", Self.ownRedirect, "--dry-run"], environment: harness.environment)
        #expect(create.status == 0, "stderr: \(create.stderr)")
        #expect(create.stdout.hasPrefix("POST \(harness.cloudElements.baseURL)/instances\n"))
        #expect(create.stdout.contains("Authorization: User $CEAUTH_USER_SECRET, Organization $CEAUTH_ORG_SECRET"))
        #expect(create.stdout.contains("\"oauth.api.secret\":\"$CEAUTH_CLIENT_SECRET\""))
        #expect(create.stdout.contains("<the authorization code from standard input>"))
        #expect(create.stdout.contains("\n# the same with curl:\ncurl -X POST "))
        let login = try await run(["login", "gmail", "--dry-run"], environment: harness.environment)
        #expect(login.status == 0, "stderr: \(login.stderr)")
        #expect(login.stdout.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A%3Cfree%20port%3E%2F"))
        #expect(login.stdout.contains("\"code\":\"<the authorization code>\""))
        for run in [create, login] { expectNoSecrets(run) }
        #expect(harness.cloudElements.postCount == 0)
        #expect(harness.google.authorizationRequests.current.isEmpty)
    }
}
