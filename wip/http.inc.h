/* WIP (HTTP helper): HTTP/1.1 request writer and response parser, client and
   async state machine, public write/get calls. */
