package config

import "github.com/hashicorp/hcl/v2"

// The raw structs mirror the file's syntax one to one. Every attribute is
// an hcl.Expression so that the builder can evaluate it itself: that gives
// each semantic diagnostic the attribute's own range, lets durations be
// numbers or strings, and keeps gohcl's checks for unknown, duplicate and
// missing blocks. Attributes tagged without ",optional" are required, but
// gohcl does not enforce that for expressions: builder.require does.

type rawFile struct {
	Global         *rawGlobal          `hcl:"global,block"`
	Scripts        []*rawScript        `hcl:"vrrp_script,block"`
	TrackFiles     []*rawTrackFileDef  `hcl:"track_file,block"`
	Instances      []*rawInstance      `hcl:"vrrp_instance,block"`
	SyncGroups     []*rawSyncGroup     `hcl:"vrrp_sync_group,block"`
	VirtualServers []*rawVirtualServer `hcl:"virtual_server,block"`
}

type rawGlobal struct {
	RouterID             hcl.Expression    `hcl:"router_id,optional"`
	ScriptUser           hcl.Expression    `hcl:"script_user,optional"`
	EnableScriptSecurity hcl.Expression    `hcl:"enable_script_security,optional"`
	MaxScriptProcesses   hcl.Expression    `hcl:"max_script_processes,optional"`
	ControlSocket        hcl.Expression    `hcl:"control_socket,optional"`
	MetricsListen        hcl.Expression    `hcl:"metrics_listen,optional"`
	StateFile            hcl.Expression    `hcl:"state_file,optional"`
	LVSDrainTimeout      hcl.Expression    `hcl:"lvs_drain_timeout,optional"`
	LVSKeepOnStop        hcl.Expression    `hcl:"lvs_keep_on_stop,optional"`
	LVSResyncInterval    hcl.Expression    `hcl:"lvs_resync_interval,optional"`
	LVSTimeouts          *rawLVSTimeouts   `hcl:"lvs_timeouts,block"`
	LVSSyncDaemon        *rawLVSSyncDaemon `hcl:"lvs_sync_daemon,block"`
	Notification         *rawNotification  `hcl:"notification,block"`
}

type rawLVSTimeouts struct {
	TCP    hcl.Expression `hcl:"tcp,optional"`
	TCPFin hcl.Expression `hcl:"tcpfin,optional"`
	UDP    hcl.Expression `hcl:"udp,optional"`
}

type rawNotification struct {
	Email    *rawEmail     `hcl:"email,block"`
	Webhooks []*rawWebhook `hcl:"webhook,block"`
}

type rawEmail struct {
	Server         hcl.Expression `hcl:"server"`
	From           hcl.Expression `hcl:"from"`
	To             hcl.Expression `hcl:"to"`
	StartTLS       hcl.Expression `hcl:"starttls,optional"`
	Username       hcl.Expression `hcl:"username,optional"`
	Password       hcl.Expression `hcl:"password,optional"`
	ConnectTimeout hcl.Expression `hcl:"connect_timeout,optional"`
	DefRange       hcl.Range      `hcl:",def_range"`
}

type rawWebhook struct {
	Name      string         `hcl:"name,label"`
	URL       hcl.Expression `hcl:"url"`
	Secret    hcl.Expression `hcl:"secret,optional"`
	Headers   hcl.Expression `hcl:"headers,optional"`
	Timeout   hcl.Expression `hcl:"timeout,optional"`
	Retries   hcl.Expression `hcl:"retries,optional"`
	QueueSize hcl.Expression `hcl:"queue_size,optional"`
	PathSafe  hcl.Expression `hcl:"url_path_safe,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawScript struct {
	Name     string         `hcl:"name,label"`
	Script   hcl.Expression `hcl:"script"`
	Interval hcl.Expression `hcl:"interval,optional"`
	Timeout  hcl.Expression `hcl:"timeout,optional"`
	Weight   hcl.Expression `hcl:"weight,optional"`
	Rise     hcl.Expression `hcl:"rise,optional"`
	Fall     hcl.Expression `hcl:"fall,optional"`
	User     hcl.Expression `hcl:"user,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawInstance struct {
	Name              string            `hcl:"name,label"`
	Interface         hcl.Expression    `hcl:"interface"`
	VRID              hcl.Expression    `hcl:"virtual_router_id"`
	Priority          hcl.Expression    `hcl:"priority,optional"`
	AdvertInt         hcl.Expression    `hcl:"advert_int,optional"`
	State             hcl.Expression    `hcl:"state,optional"`
	Nopreempt         hcl.Expression    `hcl:"nopreempt,optional"`
	PreemptDelay      hcl.Expression    `hcl:"preempt_delay,optional"`
	Auth              *rawAuth          `hcl:"authentication,block"`
	VIPs              hcl.Expression    `hcl:"virtual_ipaddress,optional"`
	UnicastSrcIP      hcl.Expression    `hcl:"unicast_src_ip,optional"`
	UnicastPeer       hcl.Expression    `hcl:"unicast_peer,optional"`
	TrackInterface    hcl.Expression    `hcl:"track_interface,optional"`
	TrackScripts      []*rawTrackScript `hcl:"track_script,block"`
	TrackFiles        []*rawTrackFile   `hcl:"track_file,block"`
	GARPMasterDelay   hcl.Expression    `hcl:"garp_master_delay,optional"`
	GARPMasterRepeat  hcl.Expression    `hcl:"garp_master_repeat,optional"`
	GARPMasterRefresh hcl.Expression    `hcl:"garp_master_refresh,optional"`
	NotifyMaster      hcl.Expression    `hcl:"notify_master,optional"`
	NotifyBackup      hcl.Expression    `hcl:"notify_backup,optional"`
	NotifyFault       hcl.Expression    `hcl:"notify_fault,optional"`
	NotifyStop        hcl.Expression    `hcl:"notify_stop,optional"`
	Notify            hcl.Expression    `hcl:"notify,optional"`
	SMTPAlert         hcl.Expression    `hcl:"smtp_alert,optional"`
	DefRange          hcl.Range         `hcl:",def_range"`
}

type rawAuth struct {
	AuthType hcl.Expression `hcl:"auth_type"`
	AuthPass hcl.Expression `hcl:"auth_pass,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

// rawTrackFileDef is the top-level track_file block (keepalived's
// vrrp_track_file); rawTrackFile binds one to an instance.
type rawTrackFileDef struct {
	Name     string         `hcl:"name,label"`
	File     hcl.Expression `hcl:"file"`
	Weight   hcl.Expression `hcl:"weight,optional"`
	InitFile hcl.Expression `hcl:"init_file,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawTrackFile struct {
	Name     string         `hcl:"name,label"`
	Weight   hcl.Expression `hcl:"weight,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawTrackScript struct {
	Name     string         `hcl:"name,label"`
	Weight   hcl.Expression `hcl:"weight,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawSyncGroup struct {
	Name         string         `hcl:"name,label"`
	Group        hcl.Expression `hcl:"group"`
	NotifyMaster hcl.Expression `hcl:"notify_master,optional"`
	NotifyBackup hcl.Expression `hcl:"notify_backup,optional"`
	NotifyFault  hcl.Expression `hcl:"notify_fault,optional"`
	NotifyStop   hcl.Expression `hcl:"notify_stop,optional"`
	Notify       hcl.Expression `hcl:"notify,optional"`
	SMTPAlert    hcl.Expression `hcl:"smtp_alert,optional"`
	DefRange     hcl.Range      `hcl:",def_range"`
}

type rawVirtualServer struct {
	Name               string           `hcl:"name,label"`
	Address            hcl.Expression   `hcl:"address,optional"`
	FWMark             hcl.Expression   `hcl:"fwmark,optional"`
	Protocol           hcl.Expression   `hcl:"protocol,optional"`
	LBAlgo             hcl.Expression   `hcl:"lb_algo,optional"`
	LBKind             hcl.Expression   `hcl:"lb_kind,optional"`
	PersistenceTimeout hcl.Expression   `hcl:"persistence_timeout,optional"`
	PersistenceNetmask hcl.Expression   `hcl:"persistence_netmask,optional"`
	Quorum             hcl.Expression   `hcl:"quorum,optional"`
	Hysteresis         hcl.Expression   `hcl:"hysteresis,optional"`
	SorryServer        hcl.Expression   `hcl:"sorry_server,optional"`
	InhibitOnFailure   hcl.Expression   `hcl:"inhibit_on_failure,optional"`
	DelayLoop          hcl.Expression   `hcl:"delay_loop,optional"`
	QuorumUp           hcl.Expression   `hcl:"quorum_up,optional"`
	QuorumDown         hcl.Expression   `hcl:"quorum_down,optional"`
	RealServers        []*rawRealServer `hcl:"real_server,block"`
	DefRange           hcl.Range        `hcl:",def_range"`
}

type rawRealServer struct {
	Name             string          `hcl:"name,label"`
	Address          hcl.Expression  `hcl:"address"`
	Weight           hcl.Expression  `hcl:"weight,optional"`
	LBKind           hcl.Expression  `hcl:"lb_kind,optional"`
	UpperThreshold   hcl.Expression  `hcl:"upper_threshold,optional"`
	LowerThreshold   hcl.Expression  `hcl:"lower_threshold,optional"`
	InhibitOnFailure hcl.Expression  `hcl:"inhibit_on_failure,optional"`
	NotifyUp         hcl.Expression  `hcl:"notify_up,optional"`
	NotifyDown       hcl.Expression  `hcl:"notify_down,optional"`
	HTTPGet          []*rawHTTPCheck `hcl:"http_get,block"`
	SSLGet           []*rawHTTPCheck `hcl:"ssl_get,block"`
	TCPCheck         []*rawTCPCheck  `hcl:"tcp_check,block"`
	MiscCheck        []*rawMiscCheck `hcl:"misc_check,block"`
	DefRange         hcl.Range       `hcl:",def_range"`
}

// checkCommon holds the attributes every check block shares. gohcl does
// not look into embedded structs, so each check struct repeats them and
// hands them over through common().
type checkCommon struct {
	ConnectTimeout, DelayLoop, Rise, Fall, Retry, DelayBeforeRetry,
	Warmup, ConnectIP, ConnectPort, BindTo hcl.Expression
	DefRange hcl.Range
}

type rawHTTPCheck struct {
	ConnectTimeout   hcl.Expression `hcl:"connect_timeout,optional"`
	DelayLoop        hcl.Expression `hcl:"delay_loop,optional"`
	Rise             hcl.Expression `hcl:"rise,optional"`
	Fall             hcl.Expression `hcl:"fall,optional"`
	Retry            hcl.Expression `hcl:"retry,optional"`
	DelayBeforeRetry hcl.Expression `hcl:"delay_before_retry,optional"`
	Warmup           hcl.Expression `hcl:"warmup,optional"`
	ConnectIP        hcl.Expression `hcl:"connect_ip,optional"`
	ConnectPort      hcl.Expression `hcl:"connect_port,optional"`
	BindTo           hcl.Expression `hcl:"bindto,optional"`
	Path             hcl.Expression `hcl:"path,optional"`
	VirtualHost      hcl.Expression `hcl:"virtualhost,optional"`
	StatusCode       hcl.Expression `hcl:"status_code,optional"`
	BodyRegex        hcl.Expression `hcl:"body_regex,optional"`
	Digest           hcl.Expression `hcl:"digest,optional"`
	SNI              hcl.Expression `hcl:"sni,optional"`
	CAFile           hcl.Expression `hcl:"ca_file,optional"`
	CertFile         hcl.Expression `hcl:"cert_file,optional"`
	KeyFile          hcl.Expression `hcl:"key_file,optional"`
	Insecure         hcl.Expression `hcl:"insecure,optional"`
	DefRange         hcl.Range      `hcl:",def_range"`
}

func (r *rawHTTPCheck) common() checkCommon {
	return checkCommon{r.ConnectTimeout, r.DelayLoop, r.Rise, r.Fall, r.Retry, r.DelayBeforeRetry,
		r.Warmup, r.ConnectIP, r.ConnectPort, r.BindTo, r.DefRange}
}

type rawTCPCheck struct {
	ConnectTimeout   hcl.Expression `hcl:"connect_timeout,optional"`
	DelayLoop        hcl.Expression `hcl:"delay_loop,optional"`
	Rise             hcl.Expression `hcl:"rise,optional"`
	Fall             hcl.Expression `hcl:"fall,optional"`
	Retry            hcl.Expression `hcl:"retry,optional"`
	DelayBeforeRetry hcl.Expression `hcl:"delay_before_retry,optional"`
	Warmup           hcl.Expression `hcl:"warmup,optional"`
	ConnectIP        hcl.Expression `hcl:"connect_ip,optional"`
	ConnectPort      hcl.Expression `hcl:"connect_port,optional"`
	BindTo           hcl.Expression `hcl:"bindto,optional"`
	Send             hcl.Expression `hcl:"send,optional"`
	Expect           hcl.Expression `hcl:"expect,optional"`
	DefRange         hcl.Range      `hcl:",def_range"`
}

func (r *rawTCPCheck) common() checkCommon {
	return checkCommon{r.ConnectTimeout, r.DelayLoop, r.Rise, r.Fall, r.Retry, r.DelayBeforeRetry,
		r.Warmup, r.ConnectIP, r.ConnectPort, r.BindTo, r.DefRange}
}

type rawMiscCheck struct {
	ConnectTimeout   hcl.Expression `hcl:"connect_timeout,optional"`
	DelayLoop        hcl.Expression `hcl:"delay_loop,optional"`
	Rise             hcl.Expression `hcl:"rise,optional"`
	Fall             hcl.Expression `hcl:"fall,optional"`
	Retry            hcl.Expression `hcl:"retry,optional"`
	DelayBeforeRetry hcl.Expression `hcl:"delay_before_retry,optional"`
	Warmup           hcl.Expression `hcl:"warmup,optional"`
	ConnectIP        hcl.Expression `hcl:"connect_ip,optional"`
	ConnectPort      hcl.Expression `hcl:"connect_port,optional"`
	BindTo           hcl.Expression `hcl:"bindto,optional"`
	Path             hcl.Expression `hcl:"path"`
	Timeout          hcl.Expression `hcl:"timeout,optional"`
	MiscDynamic      hcl.Expression `hcl:"misc_dynamic,optional"`
	User             hcl.Expression `hcl:"user,optional"`
	DefRange         hcl.Range      `hcl:",def_range"`
}

func (r *rawMiscCheck) common() checkCommon {
	return checkCommon{r.ConnectTimeout, r.DelayLoop, r.Rise, r.Fall, r.Retry, r.DelayBeforeRetry,
		r.Warmup, r.ConnectIP, r.ConnectPort, r.BindTo, r.DefRange}
}
