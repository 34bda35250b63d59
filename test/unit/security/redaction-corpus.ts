// The redaction corpus of issue 12 (Deliver 5): credentials as they really show up in the operator's log lines,
// Events, status messages and API errors. Each case names the secrets that must disappear and the context that must
// stay (so that redaction cannot "pass" by blanking everything).

export interface RedactionCase {
  name: string;
  /** How the value reaches the output: free text, a structured log field, or an error described for an Event. */
  via: 'text' | 'structured' | 'error';
  input: unknown;
  secrets: string[];
  keep: string[];
}

// Shaped like the generated credentials (base64url) and real tokens.
const pw = (n: number): string => `Zx9_Qm2-k7Lp${n}Wq4Rt8Vy`;
const KUBECONFIG_B64 = Buffer.from(
  'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://10.1.2.3:6443\n  name: edge\n',
).toString('base64');
const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlLXBhcnQtaGVyZQ';
const KEY_DATA = 'LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUJQUklWQVRF';

export const REDACTION_CORPUS: RedactionCase[] = [
  {
    name: 'database URL in a Job argument',
    via: 'text',
    input: `args: --database_connection mysql+pymysql://nova:${pw(1)}@database.openstack.svc:3306/nova?charset=utf8`,
    secrets: [pw(1)],
    keep: ['--database_connection mysql+pymysql://nova:', '@database.openstack.svc:3306/nova?charset=utf8'],
  },
  {
    name: 'message-bus transport URL',
    via: 'text',
    input: `transport_url = rabbit://openstack:${pw(2)}@rabbitmq.openstack.svc:5672/`,
    secrets: [pw(2)],
    keep: ['transport_url = rabbit://openstack:', '@rabbitmq.openstack.svc:5672/'],
  },
  {
    name: 'transport URL with several hosts',
    via: 'text',
    input: `--transport-url rabbit://nova:${pw(3)}@bus-0:5672,nova:${pw(4)}@bus-1:5672/nova`,
    secrets: [pw(3), pw(4)],
    keep: ['--transport-url rabbit://nova:', '@bus-0:5672,nova:', '@bus-1:5672/nova'],
  },
  {
    name: 'password containing @ inside a URL',
    via: 'text',
    input: 'connection failed: mysql://root:p@ss@w0rd-Zq9@galera-0.galera:3306/keystone (timeout)',
    secrets: ['p@ss@w0rd-Zq9'],
    keep: ['connection failed: mysql://root:', '@galera-0.galera:3306/keystone (timeout)'],
  },
  {
    name: 'URL inside a JSON string',
    via: 'text',
    input: `{"connection":"postgresql://keystone:${pw(5)}@cockroachdb-public:26257/keystone?sslmode=disable"}`,
    secrets: [pw(5)],
    keep: ['"connection":"postgresql://keystone:', '@cockroachdb-public:26257/keystone?sslmode=disable"'],
  },
  {
    name: '--os-password VALUE',
    via: 'text',
    input: `openstack --os-auth-url http://keystone-api:5000/v3 --os-password ${pw(6)} --os-username admin server list`,
    secrets: [pw(6)],
    keep: ['--os-auth-url http://keystone-api:5000/v3', '--os-password', '--os-username admin server list'],
  },
  {
    name: '--password=VALUE',
    via: 'text',
    input: `mysqladmin --user=root --password=${pw(7)} --host=galera-0 ping`,
    secrets: [pw(7)],
    keep: ['--user=root', '--password=', '--host=galera-0 ping'],
  },
  {
    name: '--bootstrap-password in a command line',
    via: 'text',
    input: `keystone-manage bootstrap --bootstrap-password ${pw(8)} --bootstrap-region-id RegionOne`,
    secrets: [pw(8)],
    keep: ['keystone-manage bootstrap --bootstrap-password', '--bootstrap-region-id RegionOne'],
  },
  {
    name: 'flag and value as JSON array elements',
    via: 'text',
    input: `"args":["--password","${pw(9)}","--debug"]`,
    secrets: [pw(9)],
    keep: ['"args":["--password","', '","--debug"]'],
  },
  {
    name: 'OS_PASSWORD=value among env pairs',
    via: 'text',
    input: `env: OS_PASSWORD=${pw(10)} OS_USERNAME=admin OS_AUTH_URL=http://keystone-api:5000/v3`,
    secrets: [pw(10)],
    keep: ['OS_PASSWORD=', 'OS_USERNAME=admin', 'OS_AUTH_URL=http://keystone-api:5000/v3'],
  },
  {
    name: "export OS_PASSWORD='value'",
    via: 'text',
    input: `export OS_PASSWORD='${pw(11)}'; export OS_PROJECT_NAME=admin`,
    secrets: [pw(11)],
    keep: ["export OS_PASSWORD='", 'export OS_PROJECT_NAME=admin'],
  },
  {
    name: 'MYSQL_ROOT_PASSWORD=value',
    via: 'text',
    input: `MYSQL_ROOT_PASSWORD=${pw(12)} MYSQL_DATABASE=nova`,
    secrets: [pw(12)],
    keep: ['MYSQL_ROOT_PASSWORD=', 'MYSQL_DATABASE=nova'],
  },
  {
    name: 'FERNET_KEY=value next to KEYSTONE_URL (a KEY segment, not a prefix)',
    via: 'text',
    input: `FERNET_KEY=${pw(13)} KEYSTONE_URL=http://keystone-api:5000`,
    secrets: [pw(13)],
    keep: ['FERNET_KEY=', 'KEYSTONE_URL=http://keystone-api:5000'],
  },
  {
    name: 'env entries as JSON',
    via: 'text',
    input: `"env":[{"name":"OS_PASSWORD","value":"${pw(14)}"},{"name":"OS_REGION_NAME","value":"RegionOne"}]`,
    secrets: [pw(14)],
    keep: ['{"name":"OS_PASSWORD","value":"', '{"name":"OS_REGION_NAME","value":"RegionOne"}'],
  },
  {
    name: 'env entry as escaped JSON inside a JSON string',
    via: 'text',
    input: `{"body":"{\\"name\\":\\"DB_TOKEN\\",\\"value\\":\\"${pw(15)}\\"}"}`,
    secrets: [pw(15)],
    keep: ['{"body":"{\\"name\\":\\"DB_TOKEN\\",\\"value\\":\\"'],
  },
  {
    name: 'env entries as YAML',
    via: 'text',
    input: `env:\n- name: RABBITMQ_DEFAULT_PASS\n  value: ${pw(16)}\n- name: RABBITMQ_DEFAULT_USER\n  value: openstack\n`,
    secrets: [pw(16)],
    keep: ['- name: RABBITMQ_DEFAULT_PASS\n  value: ', '- name: RABBITMQ_DEFAULT_USER\n  value: openstack'],
  },
  {
    name: 'Go struct of an env var in an API error',
    via: 'text',
    input: `core.EnvVar{Name:"ADMIN_SECRET", Value:"${pw(17)}", ValueFrom:nil}`,
    secrets: [pw(17)],
    keep: ['core.EnvVar{Name:"ADMIN_SECRET", Value:"', '", ValueFrom:nil}'],
  },
  {
    name: '422: Invalid value of an env value',
    via: 'text',
    input:
      `Deployment.apps "keystone-api" is invalid: spec.template.spec.containers[0].env[2].value: ` +
      `Invalid value: "${pw(18)}": must be no more than 63 characters`,
    secrets: [pw(18)],
    keep: [
      'Deployment.apps "keystone-api" is invalid: spec.template.spec.containers[0].env[2].value: Invalid value: "',
      '": must be no more than 63 characters',
    ],
  },
  {
    name: '422: Invalid value of Secret data',
    via: 'text',
    input: `Secret "demo-generated-secrets" is invalid: data[db-password]: Invalid value: "${pw(19)}": a valid config key`,
    secrets: [pw(19)],
    keep: ['Secret "demo-generated-secrets" is invalid: data[db-password]: Invalid value: "', '": a valid config key'],
  },
  {
    name: 'kubeconfig client-key-data',
    via: 'text',
    input: `users:\n- name: op\n  user:\n    client-key-data: ${KEY_DATA}\nclusters:\n- cluster:\n    server: https://10.1.2.3:6443`,
    secrets: [KEY_DATA],
    keep: ['client-key-data: ', 'server: https://10.1.2.3:6443'],
  },
  {
    name: 'kubeconfig token (YAML)',
    via: 'text',
    input: `  user:\n    token: abcdef.${pw(21)}\n  server: https://edge-1:6443`,
    secrets: [`abcdef.${pw(21)}`, pw(21)],
    keep: ['token: ', 'server: https://edge-1:6443'],
  },
  {
    name: 'kubeconfig token (JSON)',
    via: 'text',
    input: `{"name":"op","user":{"token":"${pw(22)}"}}`,
    secrets: [pw(22)],
    keep: ['{"name":"op","user":{"token":"'],
  },
  {
    name: 'Bearer token in a header dump',
    via: 'text',
    input: `request failed; headers: Authorization: Bearer ${pw(23)}; Accept: application/json`,
    secrets: [pw(23)],
    keep: ['Authorization: Bearer', 'Accept: application/json'],
  },
  {
    name: 'bare service-account JWT',
    via: 'text',
    input: `token review failed for ${JWT} (expired)`,
    secrets: [JWT, JWT.slice(40, 80)],
    keep: ['token review failed for ', ' (expired)'],
  },
  {
    name: 'Basic credentials',
    via: 'text',
    input: `Authorization: Basic ${Buffer.from(`admin:${pw(25)}`).toString('base64')}`,
    secrets: [Buffer.from(`admin:${pw(25)}`).toString('base64')],
    keep: ['Authorization: Basic'],
  },
  {
    name: 'INI option admin_password',
    via: 'text',
    input: `[DEFAULT]\nadmin_password = ${pw(26)}\nadmin_user = admin`,
    secrets: [pw(26)],
    keep: ['admin_password = ', 'admin_user = admin'],
  },
  {
    name: 'INI section keystone_authtoken',
    via: 'text',
    input: `[keystone_authtoken]\nusername = nova\npassword = ${pw(27)}\nauth_url = http://keystone-api:5000`,
    secrets: [pw(27)],
    keep: ['username = nova', 'password = ', 'auth_url = http://keystone-api:5000'],
  },
  {
    name: 'token in a URL query',
    via: 'text',
    input: `GET https://keystone-api:5000/v3/auth?token=${pw(28)}&project=demo`,
    secrets: [pw(28)],
    keep: ['GET https://keystone-api:5000/v3/auth?token=', '&project=demo'],
  },
  {
    name: 'PEM private key inside an error',
    via: 'text',
    input: `bad client key for edge-1:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow${pw(29)}\n-----END RSA PRIVATE KEY-----\nend`,
    secrets: [`MIIEow${pw(29)}`],
    keep: ['bad client key for edge-1:', 'end'],
  },
  {
    name: 'client-node ApiException with a 422 body quoting a Job argument',
    via: 'error',
    input: Object.assign(new Error('HTTP-Code: 422\nMessage: Unsuccessful HTTP Request\nBody: ...'), {
      code: 422,
      body: JSON.stringify({
        kind: 'Status',
        message: `Job.batch "nova-db-sync-1a2b" is invalid: spec.template.spec.containers[0].args[3]: Invalid value: "--password=${pw(30)}": too long`,
      }),
    }),
    secrets: [pw(30)],
    keep: ['Job.batch "nova-db-sync-1a2b" is invalid: spec.template.spec.containers[0].args[3]', '(HTTP 422)'],
  },
  {
    name: 'error message with a database URL',
    via: 'error',
    input: new Error(
      `db-sync failed: (pymysql.err.OperationalError) mysql+pymysql://nova:${pw(31)}@database:3306/nova`,
    ),
    secrets: [pw(31)],
    keep: ['db-sync failed: (pymysql.err.OperationalError) mysql+pymysql://nova:', '@database:3306/nova'],
  },
  {
    name: 'base64 kubeconfig blob',
    via: 'text',
    input: `secret data: ${KUBECONFIG_B64}`,
    secrets: [KUBECONFIG_B64.slice(0, 30)],
    keep: ['secret data: '],
  },
  {
    name: 'stringData password in YAML',
    via: 'text',
    input: `kind: Secret\nstringData:\n  password: ${pw(33)}\n  username: keystone`,
    secrets: [pw(33)],
    keep: ['kind: Secret', 'stringData:', 'username: keystone'],
  },
  {
    name: 'quoted password with spaces',
    via: 'text',
    input: `password: "${pw(34)} and more words" user: admin`,
    secrets: [pw(34), 'and more words'],
    keep: ['password: "', 'user: admin'],
  },
  {
    name: 'references to credentials stay (nothing to hide)',
    via: 'text',
    input:
      'Secret discovery-system/kubeconfig-edge-1 has no key "kubeconfig"; secretName: db-credentials; ' +
      'tokenFile: /var/run/secrets/tokens/t; key: kubeconfig',
    secrets: [],
    keep: [
      'Secret discovery-system/kubeconfig-edge-1 has no key "kubeconfig"; secretName: db-credentials; ' +
        'tokenFile: /var/run/secrets/tokens/t; key: kubeconfig',
    ],
  },
  {
    name: 'structured env entries of a Pod spec',
    via: 'structured',
    input: {
      env: [
        { name: 'OS_PASSWORD', value: pw(36) },
        { name: 'OS_USERNAME', value: 'admin' },
      ],
    },
    secrets: [pw(36)],
    keep: ['"name":"OS_PASSWORD"', '{"name":"OS_USERNAME","value":"admin"}'],
  },
  {
    name: 'structured args with a separate password element',
    via: 'structured',
    input: { args: ['--os-password', pw(37), '--os-username', 'admin'] },
    secrets: [pw(37)],
    keep: ['"--os-password"', '"--os-username","admin"'],
  },
  {
    name: 'structured env map with FERNET_KEY',
    via: 'structured',
    input: { FERNET_KEY: pw(38), KEYSTONE_URL: 'http://keystone-api:5000' },
    secrets: [pw(38)],
    keep: ['"FERNET_KEY"', '"KEYSTONE_URL":"http://keystone-api:5000"'],
  },
  {
    name: 'structured error whose message carries a transport URL',
    via: 'structured',
    input: { error: new Error(`cannot connect to rabbit://nova:${pw(39)}@rabbitmq:5672/`) },
    secrets: [pw(39)],
    keep: ['cannot connect to rabbit://nova:', '@rabbitmq:5672/'],
  },
];
