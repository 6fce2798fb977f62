// Package e2e runs `make local`'s processes (package local/preview) and
// drives a real Chromium through them with chromedp: sign-in, the app's own
// decoding of the sign-in header, session counting, stickiness, sign-out and
// the end of sessions.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/internal/metricpublisher"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
	"github.com/shinyfargate/shiny-cdktf/local/ecsagent"
	"github.com/shinyfargate/shiny-cdktf/local/preview"
	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// chromiumPath is Debian's Chromium; CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// requireTools fails (REQUIRE_ALL_TOOLS=1, as in CI) or skips, saying what
// to install, when Chromium, R with the app's packages, or moto is missing.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := exec.LookPath(chromiumPath()); err != nil {
		missing = append(missing, "Chromium is not at "+chromiumPath()+": install it (Debian: apt-get install chromium), or set CHROMIUM to its path")
	}
	if err := preview.CheckTools(); err != nil {
		missing = append(missing, err.Error())
	}
	if len(missing) == 0 {
		return
	}
	msg := "the browser test needs:\n" + strings.Join(missing, "\n")
	if os.Getenv("REQUIRE_ALL_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// user is who signs in through the Cognito stand-in.
type user struct{ email, given, family, role string }

func TestBrowserSignInSessionsSignOut(t *testing.T) {
	requireTools(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join(root, ".cache", "e2e")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(shots, "local.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cfg, err := stacks.LoadConfig(filepath.Join(root, "config"), stacks.DefaultEnvironment)
	if err != nil {
		t.Fatal(err)
	}
	const grace = 3 * time.Second
	p, err := preview.Start(ctx, preview.Options{Root: root, Config: cfg, Tasks: 2, Port: 0, ProtectionGrace: grace.String(), Out: logFile})
	if err != nil {
		t.Fatalf("start the local preview: %v (log: %s)", err, logFile.Name())
	}
	t.Cleanup(p.Stop)
	t.Logf("preview at %s; its processes' logs: %s", p.URL, logFile.Name())
	for _, kv := range p.Moto.Env() { // the sessionmetric handler's SDK reads the environment
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	db := preview.NewDynamoDB(p.Moto)
	cognitoHost := p.CognitoDomainPrefix + ".auth." + cfg.Region + ".localhost"

	// One browser; the second user gets a browser context of its own.
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath()),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("ignore-certificate-errors", true), // the edge's self-signed certificate
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 640),
	)
	defer cancelAlloc()
	tab1, closeTab1 := chromedp.NewContext(alloc)
	defer closeTab1()
	var (
		mu       sync.Mutex
		visited1 []string // documents tab 1 loaded, redirects included
	)
	if err := chromedp.Listen(tab1, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Type == network.ResourceTypeDocument {
			mu.Lock()
			visited1 = append(visited1, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	jane := user{"jane@example.com", "Jane", "Doe", "analyst"}
	signIn(t, tab1, p.URL, cognitoHost, jane)
	if got := text(t, tab1, "#signed-in-user"); !strings.Contains(got, "Jane Doe") || !strings.Contains(got, "jane@example.com") {
		t.Fatalf("the app shows %q, want Jane Doe and jane@example.com (decoded by docker/shiny/app/R/oidc.R from x-amzn-oidc-data)", got)
	}
	if got := text(t, tab1, "#signed-in-role"); !strings.Contains(got, "analyst") {
		t.Fatalf("the app shows role %q, want analyst (custom:role)", got)
	}
	screenshot(t, tab1, filepath.Join(shots, "signed-in.png"))

	// The ALB's cookies: the session in shards under 4 KiB, and stickiness.
	cookies := browserCookies(t, tab1, p.URL)
	var shards []string
	for _, c := range cookies {
		if strings.HasPrefix(c.Name, cognitoauthalb.SessionCookieName+"-") {
			shards = append(shards, c.Name)
			if n := len(c.Name) + len(c.Value); n >= 4096 {
				t.Errorf("cookie %s is %d bytes, want under 4 KiB", c.Name, n)
			}
			if !c.Secure || !c.HTTPOnly {
				t.Errorf("cookie %s: Secure=%v HttpOnly=%v, want both", c.Name, c.Secure, c.HTTPOnly)
			}
		}
	}
	slices.Sort(shards)
	if len(shards) < 2 || shards[0] != cognitoauthalb.SessionCookieName+"-0" {
		t.Errorf("session cookie shards %v, want %s-0, -1, ... (the session is larger than one cookie)", shards, cognitoauthalb.SessionCookieName)
	}
	if !slices.ContainsFunc(cookies, func(c *network.Cookie) bool { return c.Name == "AWSALB" }) {
		t.Error("no AWSALB stickiness cookie")
	}

	// Counted: the task's item says 1, its protection is on, the other's off.
	janeTask := waitSessions(t, ctx, db, p, 1)
	waitProtection(t, p, janeTask, true)

	// A second browser context: a second user, on the other task.
	tab2, closeTab2 := chromedp.NewContext(tab1, chromedp.WithNewBrowserContext())
	defer closeTab2()
	ravi := user{"ravi@example.com", "Ravi", "Kumar", ""}
	signIn(t, tab2, p.URL, cognitoHost, ravi)
	if got := text(t, tab2, "#signed-in-user"); !strings.Contains(got, "Ravi Kumar") {
		t.Fatalf("second context shows %q, want Ravi Kumar", got)
	}
	perTask := waitTotal(t, ctx, db, p, 2)
	if perTask[p.Tasks[0].ARN] != 1 || perTask[p.Tasks[1].ARN] != 1 {
		t.Fatalf("sessions per task %v, want one on each task (round robin for new browsers)", perTask)
	}
	for _, task := range p.Tasks {
		waitProtection(t, p, task.ARN, true)
	}

	// The sessionmetric handler publishes SessionsPerTask 1 (2 sessions, 2
	// running tasks), read back from moto's CloudWatch.
	awsCfg, err := config.LoadDefaultConfig(ctx) // moto's endpoint and fake keys, from the environment
	if err != nil {
		t.Fatal(err)
	}
	h, err := metricpublisher.New(awsCfg, mapEnv(map[string]string{
		sessionmodel.EnvTableName: p.Table, sessionmodel.EnvCluster: p.Cluster, sessionmodel.EnvService: p.Service,
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Run(ctx)
	if err != nil {
		t.Fatalf("sessionmetric: %v", err)
	}
	if out.ActiveSessions != 2 || out.RunningTasks != 2 {
		t.Errorf("sessionmetric output %+v, want 2 active sessions on 2 running tasks", out)
	}
	if got := readMetric(t, ctx, p, sessionmodel.MetricSessionsPerTask); got != 1 {
		t.Errorf("CloudWatch %s = %v, want 1", sessionmodel.MetricSessionsPerTask, got)
	}

	// Each context stays on its task across reloads.
	janeOn, raviOn := janeTask, otherTask(p, janeTask)
	for i := range 3 {
		for _, tab := range []context.Context{tab1, tab2} {
			if err := chromedp.Do(tab, chromedp.Reload()); err != nil {
				t.Fatal(err)
			}
			text(t, tab, "#signed-in-user")
		}
		perTask := waitTotal(t, ctx, db, p, 2)
		if perTask[janeOn] != 1 || perTask[raviOn] != 1 {
			t.Fatalf("after reload %d: sessions per task %v, want each context on its own task", i+1, perTask)
		}
	}

	// Sign out: through the logout server and the Cognito stand-in to /logged-out.
	mu.Lock()
	visited1 = nil
	mu.Unlock()
	if err := chromedp.Do(tab1, chromedp.Click(chromedp.CSS("#sign-out"))); err != nil {
		t.Fatal(err)
	}
	waitPath(t, tab1, cognitoauthalb.LoggedOutPath)
	if got := text(t, tab1, "h1"); !strings.Contains(got, "signed out") {
		t.Errorf("logged-out page says %q", got)
	}
	screenshot(t, tab1, filepath.Join(shots, "logged-out.png"))
	mu.Lock()
	visited := slices.Clone(visited1)
	mu.Unlock()
	if !slices.ContainsFunc(visited, func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && u.Hostname() == cognitoHost && u.Path == "/logout"
	}) {
		t.Errorf("sign-out did not pass through the Cognito logout stand-in: visited %v", visited)
	}
	for _, c := range browserCookies(t, tab1, p.URL) {
		if strings.HasPrefix(c.Name, cognitoauthalb.SessionCookieName) {
			t.Errorf("cookie %s survived sign-out", c.Name)
		}
	}
	// The next visit asks to sign in again (the hosted UI session ended too).
	visit(t, tab1, p.URL)
	waitFor(t, tab1, "#email", "the next visit shows the sign-in form")

	// Closing the tabs ends the sessions: counts back to 0, protection released after its grace.
	closeTab2()
	closeTab1()
	waitTotal(t, ctx, db, p, 0)
	for _, task := range p.Tasks {
		waitProtection(t, p, task.ARN, false)
	}
}

func signIn(t *testing.T, tab context.Context, appURL, cognitoHost string, u user) {
	t.Helper()
	visit(t, tab, appURL)
	waitFor(t, tab, "#email", "the app asks to sign in")
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if h := mustURL(t, loc).Hostname(); h != cognitoHost {
		t.Fatalf("signing in at %s, want the Cognito stand-in at %s", loc, cognitoHost)
	}
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS("#email"), u.email),
		chromedp.SendKeys(chromedp.CSS("#given_name"), u.given),
		chromedp.SendKeys(chromedp.CSS("#family_name"), u.family),
	}
	if u.role != "" {
		actions = append(actions, chromedp.SendKeys(chromedp.CSS("#role"), u.role))
	}
	actions = append(actions, chromedp.Click(chromedp.CSS("#sign-in")))
	if err := chromedp.Do(tab, actions...); err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// text waits until the element has text (Shiny renders it once its
// websocket session runs) and returns it. Errors while the page navigates
// (sign-in redirects) are retried.
func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	var last error
	expr := fmt.Sprintf(`(document.querySelector(%q)?.textContent || "").trim()`, sel)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](expr))
		if err == nil && s != "" {
			return s
		}
		last = err
	}
	loc, _ := chromedp.Run(tab, chromedp.Location())
	t.Fatalf("no text in %s at %s (last error: %v)", sel, loc, last)
	return ""
}

// visit navigates to u. A navigation that moves the page to another site
// (the redirect to the sign-in host) can leave chromedp waiting for a load
// event of the old frame, so the wait is bounded and the page is then
// checked by polling.
func visit(t *testing.T, tab context.Context, u string) {
	t.Helper()
	// Open the tab on tab's own context first: the context of the first
	// action owns the tab, and the timeout's cancel would close it.
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Logf("navigate to %s: %v (checking the page anyway)", u, err)
	}
}

// waitFor polls until an element matches sel.
func waitFor(t *testing.T, tab context.Context, sel, what string) {
	t.Helper()
	expr := fmt.Sprintf(`document.querySelector(%q) !== null`, sel)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
	}
	loc, _ := chromedp.Run(tab, chromedp.Location())
	t.Fatalf("%s: no %s at %s", what, sel, loc)
}

func waitPath(t *testing.T, tab context.Context, path string) {
	t.Helper()
	expr := fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, path)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
	}
	loc, _ := chromedp.Run(tab, chromedp.Location())
	t.Fatalf("browser at %s, want %s", loc, path)
}

func screenshot(t *testing.T, tab context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

func browserCookies(t *testing.T, tab context.Context, appURL string) []*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(tab, network.GetCookies, network.GetCookiesParams{URLs: []string{appURL}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Cookies
}

// sessions reads the session table: sessions per task ARN.
func sessions(ctx context.Context, db *dynamodb.Client, table string) (map[string]int, error) {
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		return nil, err
	}
	var items []sessionmodel.Item
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, err
	}
	m := map[string]int{}
	for _, it := range items {
		m[it.TaskARN] = it.Sessions
	}
	return m, nil
}

// waitTotal polls the table until the sessions add up to want.
func waitTotal(t *testing.T, ctx context.Context, db *dynamodb.Client, p *preview.Preview, want int) map[string]int {
	t.Helper()
	var last map[string]int
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		m, err := sessions(ctx, db, p.Table)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range m {
			total += n
		}
		if total == want {
			return m
		}
		last = m
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("session table %v, want %d sessions in all", last, want)
	return nil
}

// waitSessions waits for want sessions on one task and returns its ARN.
func waitSessions(t *testing.T, ctx context.Context, db *dynamodb.Client, p *preview.Preview, want int) string {
	t.Helper()
	m := waitTotal(t, ctx, db, p, want)
	for arn, n := range m {
		if n == want {
			return arn
		}
	}
	t.Fatalf("session table %v, want one task with %d", m, want)
	return ""
}

func otherTask(p *preview.Preview, arn string) string {
	for _, task := range p.Tasks {
		if task.ARN != arn {
			return task.ARN
		}
	}
	return ""
}

// waitProtection polls the ECS agent stand-in (GET, as ECS documents it)
// until the task's protection is on (or off).
func waitProtection(t *testing.T, p *preview.Preview, arn string, want bool) {
	t.Helper()
	var uri string
	for _, task := range p.Tasks {
		if task.ARN == arn {
			uri = task.AgentURI
		}
	}
	var got bool
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(uri + ecsagent.ProtectionPath)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Protection struct{ ProtectionEnabled bool } `json:"protection"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got = body.Protection.ProtectionEnabled; got == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("task %s: scale-in protection %v, want %v", arn, got, want)
}

func readMetric(t *testing.T, ctx context.Context, p *preview.Preview, metric string) float64 {
	t.Helper()
	cw := cloudwatch.New(cloudwatch.Options{
		Region: p.Moto.Region, BaseEndpoint: aws.String(p.Moto.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing", SessionToken: "testing"}, nil
		}),
	}, func(o *cloudwatch.Options) {
		// moto routes CloudWatch's query protocol only.
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
	})
	out, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String(sessionmodel.MetricNamespace), MetricName: aws.String(metric),
		Dimensions: []cwtypes.Dimension{
			{Name: aws.String(sessionmodel.DimensionCluster), Value: aws.String(p.Cluster)},
			{Name: aws.String(sessionmodel.DimensionService), Value: aws.String(p.Service)},
		},
		StartTime: aws.Time(time.Now().Add(-10 * time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)),
		Period: aws.Int32(60), Statistics: []cwtypes.Statistic{cwtypes.StatisticMaximum},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Datapoints) == 0 {
		t.Fatalf("no %s datapoint in CloudWatch", metric)
	}
	return aws.ToFloat64(out.Datapoints[0].Maximum)
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
