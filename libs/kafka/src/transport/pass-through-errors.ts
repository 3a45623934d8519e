// An RPC exception filter for BatchTransport controllers: keeps a handler's original error (Nest's
// default RPC filter replaces it by "Internal server error"), so the transport logs and retries with it.
import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

@Catch()
export class PassThroughRpcErrors implements RpcExceptionFilter<unknown, never> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
