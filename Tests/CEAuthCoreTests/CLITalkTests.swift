import CEAuthSandbox
import Foundation
import Testing
@testable import CEAuthCore

/// A login that talks (issue 10): what happens is said, causes are named, Ctrl-C answers.
extension CLITests {
    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func theTerminalSaysWhatHappensAndWrongRequestsOnce() async throws {
        let harness = try LoginHarness()
        let browser = TestBrowser()
        browser.beforeRedirect = { redirect in
            let port = redirect.port!
            for index in 0..<3 { _ = try? RawHTTP.request("http://127.0.0.1:\(port)/?code=x&state=old-tab-\(index)") }
            _ = try? RawHTTP.send(Array("GET /?code=x HTTP/1.1\r\nHost: rebound.example:\(port)\r\n\r\n".utf8), host: "127.0.0.1", port: UInt16(port))
        }
        let run = try await run(["login", "gmail", "--no-browser"], environment: harness.environment, browser: browser)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(count("Ignored a request with a wrong state (an old browser tab, or another sign-in?)", in: run.stderr) == 1)
        #expect(count("Ignored a request addressed to another host", in: run.stderr) == 1)
        #expect(run.stderr.contains("Code received; creating the instance at 127.0.0.1..."))
    }

    @Test func hintsNameTheCause() async throws {
        // invalid_client from Google, through Cloud Elements: the client id or secret.
        let harness = try LoginHarness(cloudElements: .answer(EmulatedCloudElements.error(
            400, "Error while retrieving the OAuth token from the provider", provider: #"{"error":"invalid_client","error_description":"Unauthorized"}"#)))
        let refused = try await run(["login", "gmail", "--no-browser"], environment: harness.environment, browser: TestBrowser())
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("Google refused the OAuth client that Cloud Elements presented: check CEAUTH_CLIENT_ID and CEAUTH_CLIENT_SECRET"))

        // A fixed redirect URI that never comes back: Google's redirect_uri_mismatch, most likely.
        let quiet = try LoginHarness()
        let probe = try Socket.listen(host: "127.0.0.1", port: 0)
        let port = try probe.localPort()
        probe.close()
        let stray = TestBrowser()
        stray.followsRedirect = false
        let timedOut = try await run(["login", "gmail", "--no-browser", "--timeout", "1", "--redirect-uri", "http://127.0.0.1:\(port)/cb"],
                               environment: quiet.environment, browser: stray)
        #expect(timedOut.status == 3)
        #expect(timedOut.stderr.contains("If Google showed redirect_uri_mismatch in the browser, register exactly http://127.0.0.1:\(port)/cb"))

        // A $BROWSER command that does not exist is named.
        var env = quiet.environment
        env["BROWSER"] = "no-such-browser-here %s"
        let noBrowser = try await run(["login", "gmail", "--timeout", "1"], environment: env)
        #expect(noBrowser.stderr.contains("BROWSER names 'no-such-browser-here', which is not an executable file or on PATH"))
    }

    /// Ctrl-C while the request is on its way: said at once; a second one stops waiting.
    @Test func ctrlCWhileTheRequestIsOnItsWayAnswersAtOnce() async throws {
        let harness = try LoginHarness(cloudElements: .hang)
        let browser = TestBrowser()
        let run = try await run(["login", "gmail", "--no-browser", "--request-timeout", "30"], environment: harness.environment,
                          afterURL: { pid, url in
            Thread { browser.visit(url) }.start()
            let until = monotonicSeconds() + 10
            while harness.cloudElements.postCount == 0 && monotonicSeconds() < until { usleep(10_000) }
            kill(pid, SIGINT)
            usleep(400_000)
            kill(pid, SIGINT)
        })
        #expect(run.status == 130, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("finishing the request already sent to Cloud Elements, at most 30 s; Ctrl-C again to stop waiting"))
        #expect(run.stderr.contains("stopped waiting for Cloud Elements; the instance may exist"))
        #expect(run.seconds < 15)
    }

    @Test func quietPrintsOnlyTheURLAndErrors() async throws {
        let harness = try LoginHarness()
        let run = try await run(["login", "gmail", "--no-browser", "--quiet"], environment: harness.environment, browser: TestBrowser())
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("http://127.0.0.1:") == true, "stderr: \(run.stderr)")
    }
}

extension CLITests {
    /// A stray request (an old tab, a bookmark) gets a page styled like the result pages, with
    /// one next step, no external resource and the same CSP; a non-GET keeps its plain answer.
    @Test func strayRequestsGetAPageThatSaysWhatToDo() async throws {
        let harness = try LoginHarness()
        let answers = Locked<[RawResponse]>([])
        let browser = TestBrowser()
        browser.beforeRedirect = { redirect in
            let port = redirect.port!
            for target in ["/?code=x&state=old-tab", "/favicon.ico"] {
                if let answer = try? RawHTTP.request("http://127.0.0.1:\(port)\(target)") { answers.with { $0.append(answer) } }
            }
            if let answer = try? RawHTTP.request("http://127.0.0.1:\(port)/", method: "POST") { answers.with { $0.append(answer) } }
        }
        let run = try await run(["login", "gmail", "--no-browser"], environment: harness.environment, browser: browser)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let got = answers.current
        #expect(got.map(\.status) == [400, 404, 405])
        #expect(got[0].headers["content-type"] == "text/html; charset=utf-8")
        #expect(got[0].body.contains("This sign-in link is old, or was not started here"))
        #expect(got[0].body.contains("Go back to the terminal where ceauth runs"))
        #expect(got[1].body.contains("<h1 class=\"note\">Nothing here</h1>"))
        for page in got.prefix(2) {
            #expect(page.headers["content-security-policy"]?.hasPrefix("default-src 'none'") == true)
            #expect(!page.body.contains("src=") && !page.body.contains("href="))
            #expect(page.body.contains("prefers-color-scheme: dark"))
        }
        #expect(got[2].headers["content-type"]?.hasPrefix("text/plain") == true)
        // The success page: one next step, the name escaped.
        #expect(browser.page.current?.body.contains("<p class=\"next\">You can close this tab.</p>") == true)
    }
}

extension CLITests {
    /// Ctrl-C during the check before the browser: nothing is spent, so it stops at once.
    @Test func ctrlCDuringTheCheckBeforeTheBrowserStopsAtOnce() async throws {
        // Ctrl-C once the check is on its way: the request has arrived and is never answered.
        let runner = Locked<Int32?>(nil)
        let silent = try EmulatorServer { _ in
            if let pid = runner.current { kill(pid, SIGINT) }
            return nil
        }
        defer { silent.stop() }
        var env = SandboxSecrets.environment
        env["CEAUTH_BASE_URL"] = silent.baseURL + "/elements/api-v2"
        let home = TemporaryDirectory()
        env["HOME"] = home.path
        let run = try await run(["login", "gmail", "--no-browser", "--request-timeout", "30"], environment: env,
                                onStart: { pid in runner.with { $0 = pid } })
        #expect(run.status == 130, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("interrupted before the browser opened; nothing was created"))
        #expect(run.seconds < 10)
    }
}
