/**
 * The zstd raw-content dictionary of stored span blobs, version 1. A kept trace of ~10 spans
 * compresses to ~1.4 KB alone but ~1.1 KB with this dictionary (bench/storage.ts), because
 * semantic-convention keys, SDK resource values and instrumentation names then cost a back
 * reference instead of literals. It holds only generic OpenTelemetry vocabulary, nothing of any
 * deployment.
 *
 * NEVER EDIT: stored items name the dictionary they were compressed with (version 1 blobs by
 * their codec `otlp+zstd:d1`, version 2 blobs by their version byte); a better dictionary is a new
 * constant and a new blob version, and readers keep this one.
 */
export const SPAN_BLOB_DICTIONARY_V1: string = [
  'service.nameservice.namespaceservice.versionservice.instance.iddeployment.environment.name',
  'deployment.environmenthost.namehost.idhost.archamd64arm64os.typelinuxos.descriptionprocess',
  '.pidprocess.executable.nameprocess.runtime.nameprocess.runtime.versionprocess.commandconta',
  'iner.idk8s.namespace.namek8s.pod.namek8s.pod.uidk8s.deployment.namek8s.node.namek8s.cluste',
  'r.namecloud.provideraws_ec2cloud.platformaws_ecsaws_eksaws_lambdacloud.regioncloud.availab',
  'ility_zonecloud.account.idfaas.namefaas.versiontelemetry.sdk.nameopentelemetrytelemetry.sd',
  'k.languagenodejsjavapythongodotnettelemetry.sdk.versiontelemetry.distro.nametelemetry.auto',
  '.versionproductionstagingdevelopment.ec2.internal.compute.internal',
  '@opentelemetry/instrumentation-http@opentelemetry/instrumentation-undici@opentelemetry/ins',
  'trumentation-express@opentelemetry/instrumentation-pg@opentelemetry/instrumentation-mysql2',
  '@opentelemetry/instrumentation-redis@opentelemetry/instrumentation-ioredis@opentelemetry/i',
  'nstrumentation-amqplib@opentelemetry/instrumentation-kafkajs@opentelemetry/instrumentation',
  '-aws-sdk@opentelemetry/instrumentation-grpcio.opentelemetry.',
  'http.request.methodGETPOSTPUTDELETEPATCHHEADOPTIONShttp.routehttp.response.status_codehttp',
  '.request.body.sizehttp.response.body.sizehttp.methodhttp.status_codehttp.urlhttp.targethtt',
  'p.schemehttp.user_agenturl.fullhttp://https://url.pathurl.queryurl.schemehttpsserver.addre',
  'ssserver.portclient.addressclient.portnetwork.protocol.name1.1network.protocol.versionnetw',
  'ork.peer.addressnetwork.peer.portnetwork.transporttcpuser_agent.originalMozilla/5.0 (Windo',
  'ws NT 10.0; Win64; x64) (Macintosh; Intel Mac OS X 10_15_7) (X11; Linux x86_64) AppleWebKi',
  't/537.36 (KHTML, like Gecko) Chrome/ Safari/537.36 Firefox/okhttp/curl/',
  'db.system.namepostgresqlmysqlredisdynamodbmongodbdb.systemdb.namespacedb.operation.nameSEL',
  'ECTINSERTUPDATEDELETEdb.collection.namedb.query.textdb.statementSELECT * FROM  WHERE id = ',
  '$1 WHERE id = ?db.response.returned_rowsdb.response.status_code.rds.amazonaws.com',
  'messaging.systemrabbitmqkafkaawssqsawssnsmessaging.destination.namemessaging.operation.typ',
  'esendpublishprocessreceivecreatemessaging.operation.namemessaging.message.idmessaging.mess',
  'age.body.sizemessaging.kafka.message.keymessaging.client.idmessaging.consumer.group.name p',
  'ublish process',
  'rpc.systemgrpcaws-apirpc.servicerpc.methodrpc.grpc.status_codeaws.request_idaws.regionendu',
  'ser.idsession.idthread.idthread.namecode.function.namecode.file.pathcode.line.numbercode.n',
  'amespaceerror.typeexceptionexception.typeexception.messageexception.stacktraceexception.es',
  'caped    at  (node:internal/process/task_queues:105:5)process.processTicksAndRejectionsErr',
  'or: TypeError: ',
].join('');
